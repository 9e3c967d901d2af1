import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command, get_commands

from tests.factories import form_data

ROOT = Path(__file__).resolve().parents[2]
PROJECT_APPS = {"contact", "maniva_crm", "analytics", "maniva_webapp"}


def test_createsuperuser_can_open_the_messages_in_the_admin(client, db, monkeypatch):
    client.post("/contact/", form_data(subject="Admin can see me"))
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-admin-password-77")
    call_command("createsuperuser", "--noinput", "--username", "boss", "--email", "boss@maniva.test", stdout=StringIO())

    assert client.login(username="boss", password="a-long-admin-password-77")
    listing = client.get("/admin/contact/message/")
    assert listing.status_code == 200 and "Admin can see me" in listing.content.decode()
    assert client.get("/admin/contact/lead/").status_code == 200


@pytest.mark.parametrize("name", sorted(name for name, app in get_commands().items() if app in PROJECT_APPS))
def test_every_project_command_has_help(name):
    result = subprocess.run([sys.executable, "manage.py", name, "--help"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "usage:" in result.stdout
