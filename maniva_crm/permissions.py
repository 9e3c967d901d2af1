"""Role checks for the CRM.

Django's ModelBackend reads group permissions with a join through content types
(`values_list("content_type__app_label", "codename")`); on the embedded server that join answers
the app label as `1`, so `user.has_perm("maniva_crm.…")` is False for every non-superuser. The CRM
resolves its own permissions with join-free queries instead, the same on MongoDB and SecantusDB.
"""
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType

APP = "maniva_crm"


def crm_permissions(user) -> set[str]:
    """Codenames of the CRM permissions this user holds (through groups or directly), cached per user object."""
    if not (user.is_authenticated and user.is_active):
        return set()
    cached = getattr(user, "_crm_permissions", None)
    if cached is not None:
        return cached
    if user.is_superuser:
        codenames = {"work_leads", "export_leads", "erase_person", "manage_staff", "view_auditentry"}
    else:
        group_links = Group.permissions.through.objects.filter(group__user=user).values_list("permission_id", flat=True)
        user_links = user.user_permissions.through.objects.filter(user_id=user.pk).values_list("permission_id", flat=True)
        permission_ids = {*group_links.order_by(), *user_links.order_by()}
        codenames = set(
            Permission.objects.filter(pk__in=permission_ids, content_type__in=_crm_content_types()).order_by().values_list("codename", flat=True)
        ) if permission_ids else set()
    user._crm_permissions = codenames
    return codenames


def _crm_content_types() -> list:
    return list(ContentType.objects.filter(app_label=APP).order_by().values_list("pk", flat=True))


def crm_can(user, permission: str) -> bool:
    """`permission` as "maniva_crm.codename" or just "codename"."""
    codename = permission.split(".", 1)[-1]
    return codename in crm_permissions(user)
