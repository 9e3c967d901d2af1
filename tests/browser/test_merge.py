"""Issue 16 in chromium: a Manager sees a possible duplicate on a lead's page, confirms the merge,
and lands on the lead kept, which now holds the other lead's messages and notes."""
import pytest

from contact.models import Lead, Message
from maniva_crm.models import Note
from maniva_crm.services import MANAGERS, SALES, lead_note_add, roles_ensure
from tests.browser.helpers import axe_violations
from tests.factories import PASSWORD, make_message, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_merges_a_duplicate_from_the_lead_page(live_server, open_page):
    roles_ensure()
    make_user("mia", role=MANAGERS)
    sales = make_user("sam", role=SALES)
    kept = make_message(name="Ana Souza", email="ana@padaria.test", subject="Website for the bakery").lead
    gone = make_message(name="Ana Souza", email="Ana+orders@padaria.test", subject="Online orders <b>now</b>").lead
    lead_note_add(lead=gone, body="Prefers mornings", actor=sales)

    page, log = open_page(1280)
    page.goto(f"{live_server.url}/crm/login/")
    page.fill("#id_username", "mia")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/crm/leads/{kept.pk}/")
    duplicate = page.locator(".crm-duplicate", has_text="Ana+orders@padaria.test")
    assert "same mailbox" in duplicate.inner_text()
    assert axe_violations(page) == []
    duplicate.get_by_role("link", name="Merge into this lead…").click()

    page.wait_for_url(f"**/crm/leads/{kept.pk}/merge/?other={gone.pk}")
    assert Lead.objects.filter(pk=gone.pk).exists()  # nothing happens before the confirmation
    page.get_by_role("button", name="Merge Ana+orders@padaria.test into ana@padaria.test").click()

    page.wait_for_url(f"**/crm/leads/{kept.pk}/")
    page.wait_for_selector(".crm-event-merge:has-text('Ana+orders@padaria.test')")
    assert page.locator(".crm-note", has_text="Prefers mornings").count() == 1
    assert page.locator(".crm-duplicates").count() == 0
    assert "Also wrote as: Ana+orders@padaria.test" in page.content()
    assert not Lead.objects.filter(pk=gone.pk).exists()
    assert Message.objects.filter(lead_id=kept.pk).count() == 2 and Note.objects.get().lead_id == kept.pk
    assert log.page_errors == [] and log.console_errors == []
