"""A salesperson corrects a lead's suggested intent in the inbox, then filters the inbox by it (chromium)."""
import pytest

from contact.models import Lead
from maniva_crm.models import AuditAction, AuditEntry, RoutingRule
from maniva_crm.services import MANAGERS, SALES, roles_ensure
from tests.browser.conftest import AXE
from tests.browser.helpers import axe_violations
from tests.factories import PASSWORD, make_message, make_user
from tests.maniva_crm.test_browser import chromium_page, live_server  # noqa: F401 (fixtures)


@pytest.mark.browser
def test_correct_an_intent_in_the_inbox_and_filter_by_it(live_server, transactional_db, chromium_page):  # noqa: F811
    page, errors = chromium_page
    page.context.add_init_script(path=str(AXE))  # as tests/browser do: init scripts are not subject to the CSP
    roles_ensure()
    make_user("sam", role=SALES)
    pitch = make_message(name="Olek Studio", email="olek@devs.test", subject="Our developers for your overflow work").lead
    shop = make_message(name="Rita Oliveira", email="rita@olive.test", subject="Online shop for olive oil").lead
    # as the worker left them: suggestions, not yet seen by staff
    Lead.objects.filter(pk=pitch.pk).update(intent="job_application")
    Lead.objects.filter(pk=shop.pk).update(intent="project:web-design-development")

    page.goto(f"{live_server.url}/crm/login/")
    page.fill("#id_username", "sam")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    cell = page.locator(f"#intent-{pitch.pk}")
    assert "suggested" in cell.inner_text()

    cell.locator("select").select_option("partnership")  # htmx posts on change and swaps the cell
    page.wait_for_selector(f"#intent-{pitch.pk}:has-text('set by staff')")
    lead = Lead.objects.get(pk=pitch.pk)
    assert lead.intent == "partnership" and lead.intent_set_at is not None
    entry = AuditEntry.objects.get(lead=lead, action=AuditAction.INTENT)
    assert (entry.actor_name, entry.changes) == ("sam", {"intent": {"from": "job_application", "to": "partnership"}})

    page.select_option("#id_intent", "partnership")  # the filter form refreshes the results by htmx
    page.wait_for_function("() => !document.querySelector('#inbox-results').textContent.includes('Rita Oliveira')")
    assert "intent=partnership" in page.url
    assert page.locator("#inbox-results tbody tr").count() == 1
    assert "Olek Studio" in page.locator("#inbox-results tbody").inner_text()
    assert axe_violations(page) == []

    page.click("text=Olek Studio")  # the lead page says it too, and takes a correction without the inbox
    page.wait_for_selector("#intent-panel:has-text('set by staff')")
    page.select_option("#lead_intent", "other")
    page.click("#intent-panel button[type=submit]")
    page.wait_for_selector(".crm-event-intent:has-text('partnership → other')")
    assert Lead.objects.get(pk=pitch.pk).intent == "other"
    assert axe_violations(page) == []
    assert errors == [], errors


@pytest.mark.browser
def test_a_manager_adds_a_routing_rule(live_server, transactional_db, chromium_page):  # noqa: F811
    page, errors = chromium_page
    page.context.add_init_script(path=str(AXE))  # as tests/browser do: init scripts are not subject to the CSP
    roles_ensure()
    make_user("mia", role=MANAGERS)
    make_user("sam", role=SALES)
    page.goto(f"{live_server.url}/crm/login/")
    page.fill("#id_username", "mia")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.click("nav >> text=Routing")
    page.fill("#id_name", "Applications to Sam")
    page.select_option("#id_intent", "job_application")
    page.select_option("#id_strategy", "user")
    page.select_option("#id_user", label="sam")
    page.click("button:has-text('Add')")
    page.wait_for_selector("table.crm-routing:has-text('Applications to Sam')")
    rule = RoutingRule.objects.get()
    assert (rule.intent, rule.user.username, rule.position) == ("job_application", "sam", 1)
    assert axe_violations(page) == []
    assert errors == [], errors
