"""The "Sample content" ribbon in chromium: readable, covering nothing, axe-clean in both colour
modes; and the page without it once every placeholder is replaced."""
import pytest
from playwright.sync_api import expect

from tests.browser.helpers import axe_violations, horizontal_overflow
from tests.maniva_webapp.content_files import content_write, shipped_content, without_placeholders

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width, scheme", [(320, "light"), (1280, "dark")])
def test_the_ribbon_is_visible_covers_nothing_and_is_accessible(live_server, open_page, width, scheme):
    page, log = open_page(width, color_scheme=scheme)
    page.goto(live_server.url + "/")
    ribbon = page.get_by_role("note").filter(has_text="Sample content")
    expect(ribbon).to_be_visible()
    box, nav = ribbon.bounding_box(), page.get_by_role("navigation", name="Main").bounding_box()
    assert box["y"] + box["height"] <= nav["y"], "the ribbon sits above the menu, not over it"
    # Scroll instantly and wait until the page has moved (a wheel event scrolls asynchronously, so
    # reading the box right after it raced with the scroll).
    page.evaluate("window.scrollTo({top: 2000, behavior: 'instant'})")
    page.wait_for_function("window.scrollY >= 1000")
    assert ribbon.bounding_box()["y"] < 0, "it scrolls away with the page: never fixed over content"
    assert horizontal_overflow(page) == 0
    assert axe_violations(page) == []
    assert log.page_errors == [] and log.console_errors == []


def test_no_ribbon_once_the_placeholders_are_replaced(live_server, open_page, settings, tmp_path):
    settings.SITE_CONTENT_PATH = content_write(tmp_path / "site.toml", without_placeholders(shipped_content()))
    page, log = open_page(768)
    page.goto(live_server.url + "/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert page.locator(".sample-ribbon").count() == 0
    assert axe_violations(page) == []
