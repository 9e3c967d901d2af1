"""Managers' reads: staff accounts with their roles, the audit log."""
from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_save

from contact.selectors import leads_get
from maniva_crm.backends import RecentCache
from maniva_crm.models import AuditEntry


def audit_page(*, page: int = 1, per_page: int = 100) -> tuple[list[AuditEntry], bool]:
    offset = (max(1, page) - 1) * per_page
    entries = list(AuditEntry.objects.order_by("-created_at", "-pk")[offset : offset + per_page + 1])
    leads = leads_get(for_display=True, ids=[e.lead_id for e in entries if e.lead_id])  # not select_related: contact.selectors says why
    for entry in entries:
        if entry.lead_id:
            AuditEntry.lead.field.set_cached_value(entry, leads.get(entry.lead_id))
    return entries[:per_page], len(entries) > per_page


# The staff list (the inbox's assignee choices), per process: read again after STAFF_TTL seconds,
# or at once after a user is saved or deleted in this process. Not per user: everyone sees one list.
STAFF_TTL = 30.0
_staff = RecentCache(STAFF_TTL)
post_save.connect(_staff.clear, sender=get_user_model(), dispatch_uid="maniva_crm.staff_users.save")
post_delete.connect(_staff.clear, sender=get_user_model(), dispatch_uid="maniva_crm.staff_users.delete")


def staff_users():
    """Active staff accounts by username, read now (what an assignment is checked against)."""
    return get_user_model().objects.filter(is_staff=True, is_active=True).order_by("username")


def staff_users_recent() -> list:
    """The same, read at most STAFF_TTL seconds ago, for showing (a shared list: do not change it)."""
    users = _staff.get("staff")
    if users is None:
        users = list(staff_users())
        _staff.put("staff", users)
    return users


def accounts_with_roles() -> list[tuple]:
    """(user, "Sales, Managers") for every active account; group names read join-free."""
    from django.contrib.auth.models import Group

    users = list(get_user_model().objects.filter(is_active=True).order_by("username"))
    groups = dict(Group.objects.order_by().values_list("pk", "name"))
    links = get_user_model().groups.through.objects.order_by().values_list("user_id", "group_id")
    names: dict = {}
    for user_id, group_id in links:
        names.setdefault(user_id, []).append(groups.get(group_id, ""))
    return [(user, ", ".join(sorted(names.get(user.pk, []))) or "—") for user in users]
