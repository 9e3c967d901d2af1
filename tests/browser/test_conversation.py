"""Issue 14 end to end in chromium: a staff member answers from the lead page (a canned reply
inserted by the page's script), the worker sends it to a real SMTP server, the visitor's mail
client answers it to the address in Reply-To through the project's own SMTP receiver
(manage.py run_mailserver, a separate process), and the lead page shows both, in order."""
import os
import signal
import smtplib
import subprocess
import sys
import time
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest
from django.db import connection
from playwright.sync_api import expect

from contact.models import Direction, Message
from contact.replytoken import lead_id_from_reply_address
from contact.worker import jobs_run_due
from maniva_crm.services import SALES, canned_reply_save, roles_ensure
from tests.browser.helpers import axe_violations
from tests.dbserver import SERVER, listening_port
from tests.factories import PASSWORD, make_message, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def mail_receiver():
    """manage.py run_mailserver on a port of its own, on the test database."""
    env = {**os.environ, "MONGODB_URI": f"mongodb://127.0.0.1:{SERVER.port}/{connection.settings_dict['NAME']}"}
    proc = subprocess.Popen([sys.executable, "manage.py", "run_mailserver", "--port", "0"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not (port := listening_port(proc.pid)):
        assert proc.poll() is None and time.monotonic() < deadline, "run_mailserver did not start"
        time.sleep(0.1)
    yield port
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=30)


def test_staff_reply_and_the_visitors_answer_form_one_conversation(live_server, open_page, smtp_server, mail_receiver, settings):
    settings.DEFAULT_FROM_EMAIL = "Maniva Digital <hello@maniva.test>"
    roles_ensure()
    staff = make_user("sam", role=SALES)
    staff.first_name, staff.last_name = "Sam", "Reis"
    staff.save()
    canned_reply_save(title="Next steps", language="en", body="Hello {first_name},\nthank you! Shall we start on Monday?")
    lead = make_message(name="Ana Souza", email="ana@bakery.test", subject="Online ordering for our bakery",
                        message="We need a website with online ordering.").lead

    page, log = open_page(1280)
    page.goto(f"{live_server.url}/crm/login/")
    page.fill("#id_username", "sam")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/crm/")
    page.goto(f"{live_server.url}{lead.get_absolute_url()}")
    page.get_by_text("Reply by email to ana@bakery.test").click()
    page.select_option("#canned-select", label="Next steps (en)")  # the script fills the textarea
    expect(page.locator("#reply_body")).to_have_value("Hello Ana,\nthank you! Shall we start on Monday?")
    page.click("#lead-work button:has-text('Send reply')")
    expect(page.locator("#lead-work")).to_contain_text("queued a reply by email")
    expect(page.locator("#conversation .crm-msg-out")).to_contain_text("Shall we start on Monday?")  # at once, by htmx

    jobs_run_due(worker="browser-test")  # the form's confirmation and notification, then the reply
    deadline = time.monotonic() + 10
    while not (replies := [m for m in smtp_server.messages if m["Subject"] == "Re: Online ordering for our bakery"]):
        assert time.monotonic() < deadline, [m["Subject"] for m in smtp_server.messages]
        time.sleep(0.05)
    sent = replies[0]
    assert sent["From"] == '"Sam Reis (Maniva Digital)" <hello@maniva.test>'
    assert lead_id_from_reply_address(sent["Reply-To"]) == str(lead.pk)

    answer = EmailMessage()
    answer["From"], answer["To"] = "Ana Souza <ana@bakery.test>", " ".join(sent["Reply-To"].split())
    answer["Subject"] = f"Re: {sent['Subject']}"
    answer["Message-ID"] = make_msgid(domain="bakery.test")
    answer["In-Reply-To"] = answer["References"] = sent["Message-ID"]
    answer.set_content("Monday works for us!\n\nOn Thu, Sam Reis wrote:\n> Hello Ana,\n> thank you! Shall we start on Monday?\n")
    with smtplib.SMTP("127.0.0.1", mail_receiver, timeout=30) as smtp:
        smtp.sendmail("ana@bakery.test", [" ".join(sent["Reply-To"].split())], answer.as_bytes())
    assert Message.objects.filter(lead=lead, direction=Direction.IN, kind="email").count() == 1  # stored before 250

    page.reload()
    items = page.locator(".crm-conversation > li")
    expect(items).to_have_count(3)
    expect(items.nth(0)).to_contain_text("We need a website with online ordering.")
    expect(items.nth(1)).to_contain_text("Sam Reis replied by email")
    expect(items.nth(1)).to_contain_text("Shall we start on Monday?")
    expect(items.nth(2)).to_contain_text("Ana Souza wrote by email")
    expect(items.nth(2)).to_contain_text("Monday works for us!")
    full = items.nth(2).locator("details")
    expect(full.locator(".crm-mail-text")).to_be_hidden()  # the quoted history waits behind "show full"
    full.locator("summary").click()
    expect(full.locator(".crm-mail-text")).to_contain_text("> thank you! Shall we start on Monday?")
    assert axe_violations(page) == []
    assert log.page_errors == [] and log.console_errors == []
    page.goto(f"{live_server.url}/crm/?awaiting=1")
    expect(page.locator("#inbox-results")).to_contain_text("Ana Souza")
