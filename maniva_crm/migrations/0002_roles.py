from django.db import migrations


def roles(apps, schema_editor) -> None:
    from maniva_crm.services import roles_ensure

    roles_ensure()


class Migration(migrations.Migration):
    dependencies = [("maniva_crm", "0001_initial"), ("auth", "0001_initial"), ("contenttypes", "0001_initial")]
    operations = [migrations.RunPython(roles, migrations.RunPython.noop)]
