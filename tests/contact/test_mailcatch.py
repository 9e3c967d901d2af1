"""Without EMAIL_HOST, mail is caught: one complete RFC 822 file per message, nothing sent."""
import os
import subprocess
import sys
from email import message_from_bytes, policy
from io import StringIO
from pathlib import Path

import pytest
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.management import call_command

from contact.checks import mail_check
from contact.mailcatch import BACKEND, NAME_RE, CatchingEmailBackend
from tests.factories import form_data

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def caught(settings, tmp_path) -> Path:
    """Settings as `make run` has them with no EMAIL_HOST, catching into a folder of the test's own."""
    settings.EMAIL_HOST = ""
    settings.EMAIL_BACKEND = BACKEND
    settings.MAIL_CATCH_DIR = tmp_path / "mail"
    return settings.MAIL_CATCH_DIR


def _parsed(directory: Path) -> list:
    return [message_from_bytes(path.read_bytes(), policy=policy.default) for path in sorted(directory.iterdir())]


def test_each_message_is_one_complete_parseable_file(caught):
    mails = []
    for n in range(3):
        mail = EmailMultiAlternatives(
            subject=f"Ação nº {n}", body=f"Olá {n},\nline two", from_email="Maniva <hello@maniva.test>",
            to=[f"to{n}@example.com"], cc=["cc@example.com"], reply_to=["staff@maniva.test"], headers={"X-Job": str(n)},
        )
        mail.attach_alternative(f"<p>Olá <b>{n}</b></p>", "text/html")
        mails.append(mail)

    assert get_connection().send_messages(mails) == 3

    names = sorted(os.listdir(caught))
    assert len(names) == 3 and all(NAME_RE.fullmatch(name) for name in names), names
    parsed = sorted(_parsed(caught), key=lambda m: m["X-Job"])
    for n, mail in enumerate(parsed):
        assert mail["Subject"] == f"Ação nº {n}"
        assert mail["From"] == "Maniva <hello@maniva.test>"
        assert (mail["To"], mail["Cc"], mail["Reply-To"]) == (f"to{n}@example.com", "cc@example.com", "staff@maniva.test")
        assert mail["Date"].datetime is not None and mail["Message-ID"]
        assert mail.get_content_type() == "multipart/alternative"
        assert mail.get_body(preferencelist=("plain",)).get_content().rstrip("\n") == f"Olá {n},\nline two"
        assert mail.get_body(preferencelist=("html",)).get_content().rstrip("\n") == f"<p>Olá <b>{n}</b></p>"


def test_messages_without_recipients_are_skipped_and_no_temporary_file_is_left(caught):
    backend = CatchingEmailBackend()
    sent = backend.send_messages([EmailMultiAlternatives(subject="nobody", body="x", to=[]),
                                  EmailMultiAlternatives(subject="one", body="x", to=["a@example.com"])])
    assert sent == 1
    assert [m["Subject"] for m in _parsed(caught)] == ["one"]
    assert not [name for name in os.listdir(caught) if not NAME_RE.fullmatch(name)]


def test_a_submission_and_one_worker_pass_leave_the_confirmation_and_the_staff_notice_as_files(client, db, caught):
    response = client.post("/contact/", form_data(), follow=True)
    assert "Your message has reached us" in response.content.decode()
    assert "A confirmation is on its way" in response.content.decode()
    assert not caught.exists(), "nothing is written before the worker runs"

    call_command("run_worker", "--once", stdout=StringIO())

    mails = {m["To"]: m for m in _parsed(caught)}
    assert set(mails) == {"ana@example.com", "team@maniva.test"}
    visitor, staff = mails["ana@example.com"], mails["team@maniva.test"]
    assert "Ana Souza" in visitor.get_body(preferencelist=("plain",)).get_content()
    assert "Ana Souza" in staff["Subject"] and staff["Reply-To"] == "ana@example.com"
    assert "online ordering" in staff.get_body(preferencelist=("plain",)).get_content()


def test_spam_is_not_told_a_confirmation_is_coming(client, db, caught):
    response = client.post("/contact/", form_data(website="http://spam.example"), HTTP_ACCEPT="application/json")
    assert response.status_code == 201
    assert response.json()["confirmation"] == ""
    ham = client.post("/contact/", form_data(email="bea@example.com"), HTTP_ACCEPT="application/json").json()
    assert ham["confirmation"] == "A confirmation is on its way to your email address."


def test_deploy_check_warns_while_mail_is_caught(settings, caught):
    assert [w.id for w in mail_check()] == ["contact.W001"]
    assert str(caught) in mail_check()[0].msg
    settings.EMAIL_HOST = "smtp.example.com"
    settings.CONTACT_NOTIFY_EMAILS = []
    assert [w.id for w in mail_check()] == ["contact.W002"]
    settings.CONTACT_NOTIFY_EMAILS = ["team@maniva.test"]
    assert mail_check() == []


def _run(args: list[str], **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=120)


def test_the_settings_choose_the_backend_from_email_host_and_check_deploy_says_so(tmp_path):
    probe = "from django.conf import settings; print(settings.EMAIL_BACKEND, settings.MAIL_CATCH_DIR)"
    env = {"DJANGO_SETTINGS_MODULE": "maniva_webapp.settings", "MAIL_CATCH_DIR": str(tmp_path)}
    assert _run(["-c", probe], EMAIL_HOST="", **env).stdout.split() == [BACKEND, str(tmp_path)]
    assert _run(["-c", probe], EMAIL_HOST="smtp.example.com", **env).stdout.split()[0] == "django.core.mail.backends.smtp.EmailBackend"

    check = _run(["manage.py", "check", "--deploy"], EMAIL_HOST="", MAIL_CATCH_DIR=str(tmp_path))
    assert "contact.W001" in check.stderr + check.stdout and "caught" in check.stderr + check.stdout
