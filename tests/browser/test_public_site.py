"""The public site in Debian's chromium at phone, tablet and desktop widths, with and without JavaScript."""
import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from contact.models import Message
from tests.browser.helpers import axe_violations, horizontal_overflow

WIDTHS = [360, 768, 1280]
EDGE_WIDTHS = {360: 320, 1280: 1920}  # the narrowest and widest screens the design promises
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _assert_clean(page, log, origin: str, *, allow_console: tuple[str, ...] = ()) -> None:
    assert log.page_errors == []
    assert [e for e in log.console_errors if not any(a in e for a in allow_console)] == []
    assert page.evaluate("() => window.__cspViolations") == []
    assert log.foreign_requests(origin) == []


@pytest.mark.parametrize("width", WIDTHS)
def test_landing_fits_is_accessible_and_stays_on_origin(live_server, open_page, width):
    page, log = open_page(width)
    response = page.goto(live_server.url + "/")
    assert response.status == 200
    page.wait_for_load_state("networkidle")

    assert horizontal_overflow(page) == 0
    assert axe_violations(page) == []
    if width in EDGE_WIDTHS:
        page.set_viewport_size({"width": EDGE_WIDTHS[width], "height": 900})
        assert horizontal_overflow(page) == 0
        page.set_viewport_size({"width": width, "height": 900})
    # The inline JSON-LD is a data block, not a script: the strict CSP neither blocks nor reports it.
    assert page.locator('script[type="application/ld+json"]').count() == 1
    # Every asset came from the site itself, and none failed.
    assert len(log.requests) >= 5
    _assert_clean(page, log, live_server.url)
    # The menu is usable at this width (collapsed behind the toggler on small screens).
    toggler = page.get_by_role("button", name="Menu")
    services = page.get_by_role("navigation", name="Main").get_by_role("link", name="Services")
    if toggler.is_visible():
        expect(services).to_be_hidden()
        toggler.click()
        expect(toggler).to_have_attribute("aria-expanded", "true")
        expect(services).to_be_visible()
        page.keyboard.press("Escape")
        expect(services).to_be_hidden()
        expect(toggler).to_be_focused()
        toggler.click()
    expect(services).to_be_visible()


@pytest.mark.parametrize("width", WIDTHS)
def test_contact_form_with_javascript_validates_inline_and_submits_with_fetch(live_server, open_page, settings, width):
    settings.CONTACT_MIN_FILL_SECONDS = 0
    page, log = open_page(width)
    page.goto(live_server.url + "/#contact")
    page.evaluate("() => { window.__sameDocument = true; }")
    form = page.locator("#contact form")

    # Empty submit: errors in place, focus on the first one, nothing sent.
    form.get_by_role("button", name="Send message").click()
    expect(page.locator("#id_name")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_name_error")).to_have_text("This field is required.")
    expect(page.locator("#id_consent_error")).to_contain_text("privacy policy")
    expect(page.locator("#id_name")).to_be_focused()
    assert log.posts() == []

    # Inline validation as the visitor types.
    page.fill("#id_email", "ana@")
    page.locator("#id_email").blur()
    expect(page.locator("#id_email_error")).to_have_text("Enter a valid email address.")
    page.fill("#id_email", "ana@example.com")
    expect(page.locator("#id_email")).not_to_have_attribute("aria-invalid", "true")

    # The server refuses what the browser cannot know (a zero-width character): its error shows in place.
    page.fill("#id_name", "Ana Souza")
    page.fill("#id_subject", "New\u200bwebsite")
    page.fill("#id_message", "We need a new website with online ordering for our two shops.")
    page.check("#id_consent")
    form.get_by_role("button", name="Send message").click()
    expect(page.locator("#id_subject_error")).to_have_text("Please remove control characters.")
    expect(page.locator("#id_subject")).to_have_attribute("aria-describedby", re.compile("id_subject_error"))
    assert len(log.posts()) == 1

    page.fill("#id_subject", "New website for our bakery")
    form.get_by_role("button", name="Send message").click()
    success = page.locator("#contact .form-success")
    expect(success).to_contain_text("Thank you, Ana Souza")
    expect(success).to_be_focused()
    expect(form).to_be_hidden()
    assert page.evaluate("() => window.__sameDocument") is True  # no reload
    assert horizontal_overflow(page) == 0
    assert Message.objects.filter(email="ana@example.com", subject="New website for our bakery").count() == 1
    # Chromium logs the deliberate 400 answer as a failed resource; nothing else may be logged.
    _assert_clean(page, log, live_server.url, allow_console=("status of 400",))


@pytest.mark.parametrize("width", [360, 1280])
def test_one_click_on_send_while_a_field_is_invalid(live_server, open_page, settings, width):
    """Pressing Send blurs the field being typed in; its blur check used to add an error line above
    the button, which moved between mousedown and mouseup, so the first click did nothing."""
    settings.CONTACT_MIN_FILL_SECONDS = 0
    page, log = open_page(width)
    page.goto(live_server.url + "/#contact")
    form = page.locator("#contact form")
    send = form.get_by_role("button", name="Send message")
    page.fill("#id_name", "Ana Souza")
    page.fill("#id_email", "ana@example.com")
    page.fill("#id_subject", "New website for our bakery")
    page.check("#id_consent")
    page.fill("#id_message", "Too short")  # still focused when Send is pressed

    # One click on an invalid form: the errors, the summary and the focus on the field, nothing sent.
    send.click()
    expect(page.locator("#id_message_error")).to_have_text("Please write at least 10 characters.")
    expect(form.locator("[data-form-alert]")).to_have_text("Please correct the field marked below.")
    expect(page.locator("#id_message")).to_be_focused()
    assert log.posts() == []

    # Corrected, still focused: one click sends.
    page.fill("#id_message", "We need a new website with online ordering for our two shops.")
    send.click()
    expect(page.locator("#contact .form-success")).to_contain_text("Thank you, Ana Souza")
    assert len(log.posts()) == 1

    # Invalid, left (the error shows), then corrected: one click sends.
    page.locator("#contact .form-success").get_by_role("button", name="Send another message").click()
    page.fill("#id_name", "Ana Souza")
    page.fill("#id_email", "ana@")
    page.fill("#id_subject", "Second question")
    expect(page.locator("#id_email_error")).to_have_text("Enter a valid email address.")
    page.fill("#id_message", "Could you also look after our newsletter every month?")
    page.check("#id_consent")
    page.fill("#id_email", "ana@example.com")
    expect(page.locator("#id_email_error")).to_be_empty()
    send.click()
    expect(page.locator("#contact .form-success")).to_contain_text("Thank you, Ana Souza")
    assert len(log.posts()) == 2
    assert Message.objects.filter(email="ana@example.com").count() == 2
    _assert_clean(page, log, live_server.url)


def test_consultation_booking_with_javascript(live_server, open_page, settings):
    settings.CONTACT_MIN_FILL_SECONDS = 0
    page, log = open_page(1280)
    # The page reads its clock after the test does: midnight may fall in between.
    tomorrow = re.compile("^({}|{})$".format(*((date.today() + timedelta(days=n)).isoformat() for n in (1, 2))))
    page.goto(live_server.url + "/#consultation")
    form = page.locator("#consultation form")
    expect(page.locator("#consult_preferred_date")).to_have_attribute("min", tomorrow)
    page.fill("#consult_name", "Bruno Lima")
    page.fill("#consult_email", "bruno@example.com")
    page.select_option("#consult_topic", "data")
    page.fill("#consult_preferred_date", (date.today() + timedelta(days=7)).isoformat())
    page.select_option("#consult_time_window", "afternoon")
    page.fill("#consult_subject", "Forecasting for our clinics")
    page.fill("#consult_message", "We would like to talk about forecasting appointment demand.")
    page.check("#consult_consent")
    form.get_by_role("button", name="Request my call").click()
    expect(page.locator("#consultation .form-success")).to_contain_text("Thank you, Bruno Lima")
    message = Message.objects.get(email="bruno@example.com")
    assert message.kind == "consultation"
    _assert_clean(page, log, live_server.url)


@pytest.mark.parametrize("width", WIDTHS)
def test_contact_form_without_javascript(live_server, open_page, settings, width):
    settings.CONTACT_MIN_FILL_SECONDS = 0
    page, log = open_page(width, js=False)
    page.goto(live_server.url + "/")
    assert horizontal_overflow(page) == 0
    # Without JavaScript the menu is shown expanded, and the theme toggle (which needs JS) is hidden.
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Services")).to_be_visible()
    expect(page.locator("[data-theme-toggle]")).to_be_hidden()

    with page.expect_navigation():
        page.locator("#contact form").get_by_role("button", name="Send message").click()
    assert page.url == live_server.url + "/contact/"
    expect(page.locator("#id_name_error")).to_contain_text("This field is required.")
    expect(page.locator("#id_name")).to_have_attribute("aria-invalid", "true")
    assert horizontal_overflow(page) == 0

    page.fill("#id_name", "Carla Dias")
    page.fill("#id_email", "carla@example.com")
    page.fill("#id_subject", "Search marketing")
    page.fill("#id_message", "Could you help our shop rank for local searches?")
    page.check("#id_consent")
    with page.expect_navigation():
        page.get_by_role("button", name="Send message").click()
    assert page.url == live_server.url + "/contact/thanks/"
    expect(page.locator("main")).to_contain_text("Thank you, Carla Dias")
    assert Message.objects.filter(email="carla@example.com").count() == 1
    assert log.foreign_requests(live_server.url) == []


def test_colour_mode_follows_system_and_remembers_the_toggle(live_server, open_page):
    page, log = open_page(360, color_scheme="dark")
    page.goto(live_server.url + "/")
    html = page.locator("html")
    expect(html).to_have_attribute("data-bs-theme", "dark")
    assert axe_violations(page) == []  # contrast holds in dark mode too

    toggle = page.locator("[data-theme-toggle]")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    toggle.click()
    expect(html).to_have_attribute("data-bs-theme", "light")
    page.reload()
    expect(html).to_have_attribute("data-bs-theme", "light")
    expect(page.locator("[data-theme-toggle]")).to_have_attribute("aria-pressed", "false")
    _assert_clean(page, log, live_server.url)


@pytest.mark.parametrize("path", ["/contact/", "/consultation/", "/privacy/", "/contact/thanks/", "/no-such-page/"])
def test_other_pages_are_accessible(live_server, open_page, path):
    page, log = open_page(768)
    page.goto(live_server.url + path)
    page.wait_for_load_state("networkidle")
    assert horizontal_overflow(page) == 0
    assert axe_violations(page) == []
    allow = ("status of 404",) if path == "/no-such-page/" else ()
    _assert_clean(page, log, live_server.url, allow_console=allow)


def test_rate_limited_submission_shows_the_servers_message(live_server, open_page, settings):
    settings.CONTACT_MIN_FILL_SECONDS = 0
    settings.CONTACT_RATE_LIMITS = {"ip": (0, 600), "email": (3, 3600)}  # every submission is one too many
    page, log = open_page(768)
    page.goto(live_server.url + "/contact/")
    page.fill("#id_name", "Dora Maia")
    page.fill("#id_email", "dora@example.com")
    page.fill("#id_subject", "Website audit")
    page.fill("#id_message", "Could you audit our current website's speed?")
    page.check("#id_consent")
    page.get_by_role("button", name="Send message").click()
    expect(page.get_by_role("alert")).to_contain_text("Please try again in")
    expect(page.locator("form.contact-form")).to_be_visible()
    assert Message.objects.count() == 0
    _assert_clean(page, log, live_server.url, allow_console=("status of 429",))


def test_keyboard_skip_link_and_visible_focus(live_server, open_page):
    page, log = open_page(1280)
    page.goto(live_server.url + "/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"
    page.keyboard.press("Tab")  # the first link inside main: the hero's call to action
    focused = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement); return [document.activeElement.textContent.trim(), s.outlineStyle, parseFloat(s.outlineWidth)]; }"
    )
    assert focused[0] == "Book a free 30-minute call"
    assert focused[1] == "solid" and focused[2] >= 2
    _assert_clean(page, log, live_server.url)
