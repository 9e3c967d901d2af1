"""The landing page, rendered once per language and version of the site's copy (issue 15).

The page is the same for every visitor but for four values: the CSRF token and, per form, the signed
render timestamp and the idempotency key. It is rendered with unguessable markers in their places
and each visit gets the cached text with fresh values put in, which costs a few string replaces
instead of a template render. A visit with a flash message waiting renders the page in full."""
import secrets
import threading
import uuid
from collections.abc import Callable

from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.utils import translation

from contact.forms import signed_form_timestamp
from maniva_webapp.content import site_content

_MARK = secrets.token_hex(12)
CSRF_MARK = f"csrf{_MARK}"
FORM_TS_MARK = f"formts{_MARK}"
IDEM_MARKS = (f"idemcontact{_MARK}", f"idemconsult{_MARK}")

_lock = threading.Lock()
_pages: dict[str, str] = {}  # by language, for the copy in _pages_of (held, so it is compared by identity)
_pages_of: list = [None]


def cached_page(request: HttpRequest, render: Callable[[dict], str]) -> str | None:
    """The page for this request, from `render(marks)` done once per language and copy version, or
    None when the page must be rendered for this visitor alone (a flash message is waiting)."""
    if request.COOKIES.get(CookieStorage.cookie_name):
        return None
    content, language = site_content(), translation.get_language()
    with _lock:
        if _pages_of[0] is not content:  # the copy changed (or first visit): old pages go
            _pages.clear()
            _pages_of[0] = content
        page = _pages.get(language)
    if page is None:
        page = render({"csrf_token": CSRF_MARK, "form_ts": FORM_TS_MARK, "idems": IDEM_MARKS})
        with _lock:
            if _pages_of[0] is content:
                _pages[language] = page
    page = page.replace(CSRF_MARK, get_token(request)).replace(FORM_TS_MARK, signed_form_timestamp())
    for mark in IDEM_MARKS:
        page = page.replace(mark, uuid.uuid4().hex)
    return page
