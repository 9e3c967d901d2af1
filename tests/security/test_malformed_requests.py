"""Malformed requests get a 4xx, and every answer (error pages included) carries the security
headers; CRM answers are never stored by a cache; the CSRF cookie is out of scripts' reach."""
import json
import re
from pathlib import Path

import pytest
from django.test import Client

from contact.models import Message, PushSubscription
from tests.factories import form_data, make_user

ROOT = Path(__file__).resolve().parents[2]
CSRF_SECRET = "a" * 32


def assert_security_headers(response) -> None:
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "camera=()" in response["Permissions-Policy"]


def csrf_client() -> Client:
    """A browser's position: the CSRF check on, a CSRF cookie set, so the check reads the body."""
    client = Client(enforce_csrf_checks=True)
    client.cookies["csrftoken"] = CSRF_SECRET
    return client


@pytest.mark.parametrize("charset", ["utf-16", "utf-32", "latin-1", "no-such-charset"])
def test_a_form_body_in_another_charset_gets_415_with_headers(db, charset):
    """Before: Django's BadRequest was raised again by the 400 page's own CSRF check, and the
    exception escaped the handler (gunicorn's bare 500 without headers)."""
    response = csrf_client().generic(
        "POST", "/contact/", f"name=a&csrfmiddlewaretoken={CSRF_SECRET}".encode("utf-16" if charset == "utf-16" else "utf-8"),
        content_type=f"application/x-www-form-urlencoded; charset={charset}",
    )
    assert response.status_code == 415
    assert_security_headers(response)
    assert not Message.objects.exists()


@pytest.mark.parametrize("charset", ["UTF-8", "utf8", "us-ascii"])
def test_utf8_by_any_name_is_read(client, db, smtp_server, charset):
    body = "&".join(f"{key}={value}" for key, value in form_data(name="Jo").items())
    response = client.post("/contact/", data=body, content_type=f"application/x-www-form-urlencoded; charset={charset}")
    assert response.status_code == 302
    assert Message.objects.get().name == "Jo"


@pytest.mark.parametrize(
    "body",
    [b"[1]", b'"str"', b"1", b"null", b'{"keys": "x"}', b'{"keys": [1, 2]}', b'{"endpoint": 5, "keys": {"p256dh": "p", "auth": "a"}}',
     b'{"endpoint": "https://8.8.8.8/x", "keys": {"p256dh": ["p"], "auth": "a"}}', b'{"endpoint": {"$ne": 1}}',
     b"{", b"\xff\xfe\x00", b"[" * 100_000, b""],
)
def test_malformed_push_subscription_bodies_get_400(sales_client, body):
    response = sales_client.post("/crm/push/", body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json()["ok"] is False
    assert not PushSubscription.objects.exists()


def test_disallowed_host_gets_400_with_headers(client, db):
    response = client.get("/", headers={"host": "evil.example"})
    assert response.status_code == 400
    assert_security_headers(response)
    assert "style=" not in response.content.decode()


def test_disallowed_host_met_by_the_https_redirect_gets_400_with_headers(db, settings):
    """SecurityMiddleware's redirect reads the Host header before it sets any header."""
    settings.SECURE_SSL_REDIRECT = True
    response = Client().get("/", headers={"host": "evil.example"})
    assert response.status_code == 400
    assert_security_headers(response)


def test_error_pages_carry_the_headers(client, db, monkeypatch):
    client.force_login(make_user("outsider", staff=False))
    forbidden = client.get("/crm/")
    assert forbidden.status_code == 403
    assert_security_headers(forbidden)
    not_found = client.get("/no-such-page/")
    assert not_found.status_code == 404
    assert_security_headers(not_found)

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("maniva_webapp.views.render", broken)
    client.raise_request_exception = False
    failed = client.get("/privacy/")
    assert failed.status_code == 500 and "Something went wrong" in failed.content.decode()
    assert_security_headers(failed)


def test_csrf_failure_page_is_in_the_site_style_without_inline_styles(db):
    response = Client(enforce_csrf_checks=True).post("/contact/", form_data())
    page = response.content.decode()
    assert response.status_code == 403
    assert "Your form could not be sent" in page and "css/site" in page
    assert not re.search(r"<style|\sstyle=", page)
    assert_security_headers(response)
    assert not Message.objects.exists()


def test_every_crm_answer_is_no_store(client, sales, db):
    anonymous = [client.get("/crm/"), client.get("/crm/login/"), client.get("/crm/sw.js")]
    client.force_login(sales)
    staff = [client.get("/crm/"), client.get("/crm/dashboard/"), client.get("/crm/push/"), client.get("/crm/leads/000000000000000000000000/")]
    for response in anonymous + staff:
        assert "no-store" in response["Cache-Control"], (response.status_code, response.get("Cache-Control"))
    assert "no-store" not in client.get("/privacy/").get("Cache-Control", "")


def test_csrf_cookie_is_http_only_and_no_script_reads_it(client, db):
    response = client.get("/contact/")
    assert response.cookies["csrftoken"]["httponly"] is True
    for script in (ROOT / "static" / "js").glob("*.js"):
        text = script.read_text(encoding="utf-8")
        assert "document.cookie" not in text and "csrftoken" not in text, script.name
