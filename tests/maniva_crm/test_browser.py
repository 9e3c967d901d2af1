"""The staff's daily path in Debian's chromium: log in, search, change status, note, reply, export."""
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_django.live_server_helper import LiveServer

from contact.models import Lead, OutboxJob
from contact.replytoken import reply_address
from maniva_crm.models import Note
from maniva_crm.services import MANAGERS, roles_ensure
from tests.factories import PASSWORD, make_message, make_user

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="module")
def live_server(request) -> Iterator[LiveServer]:
    """Static files served by whitenoise from the collected, hashed files, as in production."""
    server = LiveServer(os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS") or "localhost", start=False)
    server.thread.static_handler = lambda app: app
    server.start()
    yield server
    server.stop()


@pytest.fixture
def chromium_page():
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed")
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # ORM calls between Playwright calls, never inside its loop
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
            context.set_default_timeout(15_000)
            page = context.new_page()
            errors: list[str] = []
            page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            yield page, errors
            context.close()
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.mark.browser
def test_daily_path(live_server, transactional_db, chromium_page, tmp_path):
    page, errors = chromium_page
    roles_ensure()
    make_user("mia", role=MANAGERS)
    lead = make_message(name="Ana Souza", email="ana@bakery.test", subject="Online ordering for our bakery").lead
    make_message(name="Bruno Costa", email="bruno@garage.test", subject="Garage website", message="Cars <script>x</script>")

    page.goto(f"{live_server.url}/crm/")
    assert "/crm/login/" in page.url
    page.fill("#id_username", "mia")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#status-counts .badge")
    assert page.locator("#status-counts .badge").count() == 7  # counts arrived by htmx

    page.fill("#id_q", "bakery")
    page.wait_for_function("() => !document.querySelector('#inbox-results').textContent.includes('Bruno')")
    assert "q=bakery" in page.url
    page.click("text=Ana Souza")
    page.wait_for_url(f"**/crm/leads/{lead.pk}/")

    page.click("#lead-work button:has-text('Qualified')")
    page.wait_for_selector("#status-heading .badge:has-text('Qualified')")
    page.fill("#note_body", "Wants a quote by Friday")
    page.click("text=Add note")
    page.wait_for_selector(".crm-note:has-text('Wants a quote by Friday')")
    page.click("summary:has-text('Reply by email')")
    page.fill("#reply_subject", "Your bakery website")
    page.fill("#reply_body", "Hello Ana, here is our proposal.")
    page.click("text=Send reply")
    page.wait_for_selector(".crm-event-reply:has-text('Your bakery website')")

    lead.refresh_from_db()
    assert lead.status == "qualified" and lead.first_contacted_at
    assert Note.objects.get(lead=lead).body == "Wants a quote by Friday"
    assert OutboxJob.objects.get(lead=lead, kind="email").payload["reply_to"] == [reply_address(lead_id=lead.pk)]

    page.goto(f"{live_server.url}/crm/?q=bakery")
    with page.expect_download() as download:
        page.click("text=Export CSV")
    path = tmp_path / "leads.csv"
    download.value.save_as(path)
    text = path.read_text()
    assert "Ana Souza" in text and "Bruno" not in text and ",qualified," in text
    assert errors == [], errors
    assert Lead.objects.count() == 2


CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI));
"""


@pytest.mark.browser
def test_console_pages_break_no_csp_rule_and_keep_the_brand_off_the_edge(live_server, transactional_db, chromium_page):
    """htmx injects its indicator CSS as an inline <style> unless told not to (htmx-config
    includeIndicatorStyles: false; the rules live in crm.css), which the strict CSP refuses with a
    console error. And the navbar's own zero side padding put the brand flush against the edge."""
    page, errors = chromium_page
    page.context.add_init_script(CSP_LISTENER)
    roles_ensure()
    make_user("mia", role=MANAGERS)
    lead = make_message(name="Ana Souza", subject="Online ordering for our bakery").lead
    page.goto(f"{live_server.url}/crm/login/")
    page.fill("#id_username", "mia")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#status-counts .badge")
    page.fill("#id_q", "bakery")  # an htmx request: the moment htmx would show its indicator
    page.wait_for_function("() => new URLSearchParams(location.search).get('q') === 'bakery'")
    for path in ("/crm/", "/crm/dashboard/", f"/crm/leads/{lead.pk}/", "/crm/audit/", "/crm/staff/"):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("load")
        assert page.evaluate("() => window.__cspViolations") == [], path
        assert page.evaluate("() => htmx.config.includeIndicatorStyles") is False, path
        assert page.evaluate("() => document.querySelectorAll('head style').length") == 0, path
        # The indicator rules come from the static stylesheet instead.
        hidden = page.evaluate("""() => { const el = document.createElement("span"); el.className = "htmx-indicator";
            document.body.append(el); const v = getComputedStyle(el).visibility; el.remove(); return v; }""")
        assert hidden == "hidden", path
        brand = page.locator(".crm-header .navbar-brand").bounding_box()
        assert brand["x"] >= 12, (path, brand)
    assert errors == [], errors
