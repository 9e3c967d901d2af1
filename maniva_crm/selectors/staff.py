"""Managers' reads: staff accounts with their roles, the audit log."""
from django.contrib.auth import get_user_model

from maniva_crm.models import AuditEntry


def audit_page(*, page: int = 1, per_page: int = 100) -> tuple[list[AuditEntry], bool]:
    offset = (max(1, page) - 1) * per_page
    entries = list(AuditEntry.objects.select_related("lead").defer("lead__search_terms").order_by("-created_at", "-pk")[offset : offset + per_page + 1])
    return entries[:per_page], len(entries) > per_page


def staff_users():
    return get_user_model().objects.filter(is_staff=True, is_active=True).order_by("username")


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
