"""Role checks for the CRM: Django's model permissions (the auth backend caches them per user
object, so one request pays for them once), under the names the CRM's views and templates use."""
APP = "maniva_crm"


def crm_permissions(user) -> set[str]:
    """Codenames of the CRM permissions this user holds, through groups or directly."""
    prefix = f"{APP}."
    return {name.removeprefix(prefix) for name in user.get_all_permissions() if name.startswith(prefix)}


def crm_can(user, permission: str) -> bool:
    """`permission` as "maniva_crm.codename" or just "codename"."""
    return user.has_perm(f"{APP}.{permission.split('.', 1)[-1]}")
