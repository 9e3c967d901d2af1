"""One chromium for the whole session (Debian's, never a downloaded one), a fresh context per page,
and a log of what each page did: console errors, uncaught exceptions, CSP violations, requests."""
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from pytest_django.live_server_helper import LiveServer
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
# Collects CSP violations the page reports to itself (they also show as console errors).
CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI);
});
"""


@dataclass
class PageLog:
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)

    def foreign_requests(self, origin: str) -> list[str]:
        return [url for _, url in self.requests if not (url.startswith(origin + "/") or url.startswith("data:"))]

    def posts(self) -> list[str]:
        return [url for method, url in self.requests if method == "POST"]


@pytest.fixture(scope="package")
def live_server(request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    """pytest-django's live server, but static files are served the production way: by whitenoise,
    from the collected, hashed and compressed files (pytest-django's own static handler looks files
    up by their source names and answers 404 for hashed ones)."""
    addr = request.config.getvalue("liveserver") or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS") or "localhost"
    server = LiveServer(addr, start=False)
    server.thread.static_handler = lambda app: app
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """One chromium for all browser tests. Package-scoped, not session-scoped: Playwright's sync API
    leaves its asyncio loop marked as running in this thread while it is open, and Django then refuses
    ORM calls (SynchronousOnlyOperation). The tests call the ORM synchronously, between Playwright
    calls, never from a coroutine, so that check is lifted exactly while the browser is open."""
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (make test installs it with apt)")
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def open_page(browser: Browser) -> Iterator[Callable[..., tuple[Page, PageLog]]]:
    """open_page(width, js=True, color_scheme="light") → (page, log); contexts close after the test."""
    contexts: list[BrowserContext] = []

    def _open(width: int, *, js: bool = True, color_scheme: str = "light") -> tuple[Page, PageLog]:
        context = browser.new_context(
            viewport={"width": width, "height": 900},
            java_script_enabled=js,
            color_scheme=color_scheme,
            reduced_motion="reduce",
        )
        contexts.append(context)
        context.set_default_timeout(10_000)
        if js:
            # Injected by the driver (like a browser extension), so the page's CSP does not apply.
            context.add_init_script(CSP_LISTENER)
            context.add_init_script(path=str(AXE))
        log = PageLog()
        page = context.new_page()
        page.on("console", lambda msg: msg.type == "error" and log.console_errors.append(msg.text))
        page.on("pageerror", lambda exc: log.page_errors.append(str(exc)))
        page.on("request", lambda req: log.requests.append((req.method, req.url)))
        return page, log

    yield _open
    for context in contexts:
        context.close()
