from django.db import migrations

# Frozen at the time of this migration (maniva_crm.services.ROLE_PERMISSIONS and AuditEntry's
# Meta.permissions then): a later change to the roles comes with a migration of its own.
PERMISSION_NAMES = {
    "work_leads": "Can see and work leads",
    "export_leads": "Can export leads",
    "erase_person": "Can erase a person's data",
    "manage_staff": "Can manage staff accounts",
    "view_auditentry": "Can view audit entry",
}
ROLE_PERMISSIONS = {
    "Sales": ["work_leads"],
    "Managers": ["work_leads", "export_leads", "erase_person", "manage_staff", "view_auditentry"],
}


def roles(apps, schema_editor) -> None:
    """The Sales and Managers groups with their permissions (idempotent)."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    content_type, _ = ContentType.objects.get_or_create(app_label="maniva_crm", model="auditentry")
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        for codename in codenames:
            permission, _ = Permission.objects.get_or_create(
                content_type=content_type, codename=codename, defaults={"name": PERMISSION_NAMES[codename]}
            )
            group.permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [("maniva_crm", "0001_initial"), ("auth", "0001_initial"), ("contenttypes", "0001_initial")]
    operations = [migrations.RunPython(roles, migrations.RunPython.noop)]
