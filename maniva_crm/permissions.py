"""Role checks for the CRM.

Django's ModelBackend reads group permissions with a join through content types
(`values_list("content_type__app_label", "codename")`); on the embedded server that join answers
the app label as `1`, so `user.has_perm("maniva_crm.…")` is False for every non-superuser. The CRM
resolves its own permissions with plain, join-free finds instead (every CRM page pays for them, and
a join costs several times a find on the embedded server), the same on MongoDB and SecantusDB.
"""
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection

APP = "maniva_crm"
ALL_CODENAMES = frozenset({"work_leads", "export_leads", "erase_person", "manage_staff", "view_auditentry"})


def _collection(model):
    return connection.get_collection(model._meta.db_table)


def crm_permissions(user) -> set[str]:
    """Codenames of the CRM permissions this user holds (through groups or directly), cached per user object."""
    if not (user.is_authenticated and user.is_active):
        return set()
    cached = getattr(user, "_crm_permissions", None)
    if cached is not None:
        return cached
    codenames = set(ALL_CODENAMES) if user.is_superuser else _granted_codenames(user.pk)
    user._crm_permissions = codenames
    return codenames


def _granted_codenames(user_id) -> set[str]:
    user_groups = _collection(Group.user_set.through)
    group_ids = [d["group_id"] for d in user_groups.find({"user_id": user_id}, {"group_id": 1, "_id": 0})]
    permission_ids = {d["permission_id"] for d in _collection(Permission.user_set.through).find({"user_id": user_id}, {"permission_id": 1, "_id": 0})}
    if group_ids:
        links = _collection(Group.permissions.through).find({"group_id": {"$in": group_ids}}, {"permission_id": 1, "_id": 0})
        permission_ids.update(d["permission_id"] for d in links)
    return {codename for app_label, codename in map(_permission_name, permission_ids) if app_label == APP}


_PERMISSION_NAMES: dict = {}


def _permission_name(permission_id) -> tuple[str, str]:
    """(app label, codename) of a permission id. Cached for the process: a permission row never
    changes its name, and a new one (new id) is simply looked up."""
    if permission_id not in _PERMISSION_NAMES:
        found = _collection(Permission).find_one({"_id": permission_id}, {"codename": 1, "content_type_id": 1})
        if found is None:
            return "", ""
        _PERMISSION_NAMES[permission_id] = (ContentType.objects.get_for_id(found["content_type_id"]).app_label, found["codename"])
    return _PERMISSION_NAMES[permission_id]


def crm_can(user, permission: str) -> bool:
    """`permission` as "maniva_crm.codename" or just "codename"."""
    codename = permission.split(".", 1)[-1]
    return codename in crm_permissions(user)
