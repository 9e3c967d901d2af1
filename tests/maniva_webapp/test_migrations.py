"""Data migrations use historical models only: migrating a fresh database from zero gives the roles
and a lead's inbox fields that the live code gives, and each data step, run again on the historical
state, leaves what it made unchanged."""
import importlib
import io
import os
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from pymongo import MongoClient

from contact.models import Lead
from maniva_crm.models import AuditEntry
from maniva_crm.services import ROLE_PERMISSIONS
from tests.dbserver import SERVER
from tests.factories import make_message

ROOT = Path(__file__).resolve().parent.parent.parent


def historical_apps(app_label: str, migration: str):
    return MigrationLoader(connection).project_state((app_label, migration)).apps


def live_roles() -> dict[str, dict[str, str]]:
    names = dict(AuditEntry._meta.permissions) | {"view_auditentry": "Can view audit entry"}
    return {role: {codename: names[codename] for codename in codenames} for role, codenames in ROLE_PERMISSIONS.items()}


def roles_in(db) -> dict[str, dict[str, str]]:
    """{group name: {codename: permission name}}, read with plain pymongo."""
    permissions = {p["_id"]: p for p in db["auth_permission"].find()}
    content_types = {c["_id"]: (c["app_label"], c["model"]) for c in db["django_content_type"].find()}
    roles: dict[str, dict[str, str]] = {}
    for group in db["auth_group"].find():
        granted = roles.setdefault(group["name"], {})
        for link in db["auth_group_permissions"].find({"group_id": group["_id"]}):
            permission = permissions[link["permission_id"]]
            assert content_types[permission["content_type_id"]] == ("maniva_crm", "auditentry")
            granted[permission["codename"]] = permission["name"]
    return roles


def test_migrate_from_zero_gives_the_roles_and_lead_fields_the_code_declares():
    name = f"fresh_{uuid.uuid4().hex[:12]}"
    env = {**os.environ, "MONGODB_URI": f"mongodb://127.0.0.1:{SERVER.port}/{name}"}
    client = MongoClient(SERVER.uri)
    try:
        done = subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        db = client[name]
        assert roles_in(db) == live_roles()
        indexes = {index["name"] for index in db["contact_lead"].list_indexes()}
        assert {"lead_spam_recent", "lead_search_recent", "lead_assignee_recent"} <= indexes
    finally:
        client.drop_database(name)
        client.close()


@pytest.mark.django_db
def test_roles_migration_on_its_historical_state_makes_the_live_roles_and_is_idempotent():
    roles = importlib.import_module("maniva_crm.migrations.0002_roles").roles
    Group.objects.all().delete()
    apps = historical_apps("maniva_crm", "0002_roles")
    roles(apps, None)
    roles(apps, None)
    assert roles_in(connection.get_database()) == live_roles()


@pytest.mark.django_db
def test_lead_inbox_backfill_on_its_historical_state_gives_what_the_intake_keeps():
    backfill = importlib.import_module("contact.migrations.0003_crm_lead_inbox").backfill
    make_message(name="Zoé Müller", email="zoe.muller@example.com", company="Café Nord", subject="First", ago=timedelta(hours=2))
    make_message(name="Zoé Müller", email="zoe.muller@example.com", subject="A consultation", kind="consultation",
                 message="About a booking system", ago=timedelta(hours=1))
    make_message(name="Other Person", email="other@example.com", subject="Shop", message="An online shop")
    fields = ("search_terms", "kinds", "last_subject")
    kept = {lead.pk: [getattr(lead, f) for f in fields] for lead in Lead.objects.all()}
    assert kept[Lead.objects.get(email="zoe.muller@example.com").pk][1:] == [["contact", "consultation"], "A consultation"]
    Lead.objects.update(search_terms=[], kinds=[], last_subject="")
    backfill(historical_apps("contact", "0003_crm_lead_inbox"), None)
    assert {lead.pk: [getattr(lead, f) for f in fields] for lead in Lead.objects.all()} == kept


def test_every_model_change_has_its_migration(db) -> None:
    out = io.StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out)
    except SystemExit:
        pytest.fail(f"models changed without a migration:\n{out.getvalue()}")
