"""The site as an attacker sees it: headers, CSRF, access to every CRM URL, XSS, NoSQL-shaped
input, open redirects. URLs are enumerated from the URLconf, so a new one cannot slip by."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import mail
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from contact.models import Message
from contact.worker import jobs_run_due
from tests.factories import form_data, make_message, make_user
from tests.maniva_webapp.content_files import content_write, shipped_content, without_placeholders

ROOT = Path(__file__).resolve().parents[2]
# The login page, logout, and the service worker script (static code holding no data, which the
# browser re-fetches for updates on its own schedule) are the only CRM URLs open to everyone.
PUBLIC_CRM = {"/crm/login/", "/crm/logout/", "/crm/sw.js"}
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _patterns(resolver: URLResolver | None = None, prefix: str = "") -> list[str]:
    routes = []
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if not route.startswith("admin/"):
                routes.extend(_patterns(entry, route))
        elif isinstance(entry, URLPattern):
            routes.append(route)
    return routes


def _url(route: str, lead_id: str) -> str:
    return "/" + route.replace("<str:pk>", lead_id).replace("^", "").replace("$", "")


@pytest.fixture
def lead_id(db) -> str:
    return str(make_message(name=XSS, subject=XSS, message=f"Hello {XSS} =1+2").lead_id)


def test_enumeration_finds_the_crm(db):
    routes = _patterns()
    assert "crm/" in routes and "crm/leads/<str:pk>/" in routes and "crm/export.csv" in routes


@pytest.mark.parametrize("who", ["anonymous", "non_staff"])
def test_every_crm_url_is_refused_to_outsiders(client, lead_id, who):
    if who == "non_staff":
        client.force_login(make_user("outsider", staff=False))
    for route in _patterns():
        url = _url(route, lead_id)
        if not url.startswith("/crm/") or url in PUBLIC_CRM:
            continue
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code in (302, 403, 404, 405), (url, method.__name__, response.status_code)
            if response.status_code == 302:
                assert response["Location"].startswith("/crm/login/"), (url, response["Location"])


def test_csrf_is_enforced_on_every_post(lead_id, manager):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    for route in _patterns():
        url = _url(route, lead_id)
        response = client.post(url, {"status": "won", "note": "x", **form_data()})
        assert response.status_code == 403, (url, response.status_code)
    assert Message.objects.count() == 1


def test_security_headers_on_every_response(client, db):
    for url in ("/", "/contact/", "/healthz", "/crm/login/", "/does-not-exist/"):
        response = client.get(url)
        csp = response["Content-Security-Policy"]
        assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert "camera=()" in response["Permissions-Policy"]
        assert response["X-Frame-Options"] == "DENY"


def test_production_settings_pass_check_deploy_and_send_hsts_and_secure_cookies(tmp_path):
    env = {
        **os.environ,
        "DJANGO_DEBUG": "false",
        "DJANGO_HTTPS": "true",
        "DJANGO_SECRET_KEY": "p" * 20 + "Xy7#kLm9$Qw2!zR4^tV8&bN1*cJ5(hG3)fD6",
        "DJANGO_ALLOWED_HOSTS": "maniva.digital",
        "EMAIL_HOST": "smtp.maniva.digital",  # without one, mail is caught, and check --deploy warns
    }
    # The shipped copy holds invented sample content, which is the one thing check --deploy flags;
    # with every placeholder replaced (here: a copy without the flags) nothing is left to report.
    deploy_check = [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"]
    check = subprocess.run(deploy_check, cwd=ROOT, env=env, capture_output=True, text=True)
    assert check.returncode != 0 and "maniva_webapp.E001" in check.stderr, check.stdout + check.stderr
    assert "identified 1 issue" in check.stderr, check.stderr
    real_copy = content_write(tmp_path / "site.toml", without_placeholders(shipped_content()))
    check = subprocess.run(deploy_check, cwd=ROOT, env={**env, "SITE_CONTENT_PATH": str(real_copy)}, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "no issues" in check.stdout
    probe = (
        "import django; django.setup(); from django.test import Client; from django.conf import settings;"
        "settings.STORAGES['staticfiles']['BACKEND']='django.contrib.staticfiles.storage.StaticFilesStorage';"
        "r = Client().get('/contact/', secure=True, headers={'host': 'maniva.digital'});"
        "print(r.status_code, r['Strict-Transport-Security'], r.cookies['csrftoken']['secure'], settings.SESSION_COOKIE_SECURE, settings.SESSION_COOKIE_HTTPONLY);"
        "print(Client().get('/contact/', headers={'host': 'maniva.digital'}).status_code)"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env={**env, "DJANGO_SETTINGS_MODULE": "maniva_webapp.settings"}, capture_output=True, text=True)
    lines = out.stdout.split("\n")
    assert lines[0] == "200 max-age=31536000; includeSubDomains; preload True True True", out.stdout + out.stderr
    assert lines[1] == "301", "plain HTTP is redirected to HTTPS"


def test_production_refuses_to_start_without_a_secret_key():
    env = {**os.environ, "DJANGO_DEBUG": "false", "DJANGO_SECRET_KEY": ""}
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode != 0 and "DJANGO_SECRET_KEY must be set" in result.stderr


def test_stored_xss_is_inert_in_site_crm_email_and_csv(client, lead_id, manager, smtp_server, settings):
    response = client.post("/contact/", form_data(name=XSS, subject=XSS, message=f"Hi {XSS} there"), follow=True)
    assert "<script>" not in response.content.decode() and "&lt;script&gt;" in response.content.decode()
    jobs_run_due(worker="xss")
    staff_mail = next(m for m in smtp_server.wait_for(2) if m["To"] == "team@maniva.test")
    html = staff_mail.get_payload(1).get_payload(decode=True).decode()
    assert "<script>" not in html and "&lt;script&gt;" in html

    client.force_login(manager)
    for url in (f"/crm/leads/{lead_id}/", "/crm/", f"/crm/?q=alert"):
        page = client.get(url).content.decode()
        assert "<script>alert" not in page and "onerror=alert(1)>" not in page, url
    csv_text = b"".join(client.get("/crm/export.csv").streaming_content).decode()
    assert "\n=" not in csv_text and ",=" not in csv_text and '"=' not in csv_text


@pytest.mark.parametrize(
    "fields",
    [
        {"email[$ne]": "", "name[$gt]": ""},
        {"email": '{"$gt": ""}'},
        {"email": "a@b.c", "name": {"$ne": None}.__repr__()},
        {"idem": '{"$ne": null}'},
    ],
)
def test_nosql_shaped_form_input_is_rejected(client, db, fields):
    data = form_data(**{k: v for k, v in fields.items() if "[" not in k})
    data.update({k: v for k, v in fields.items() if "[" in k})
    if "email[$ne]" in fields:
        data.pop("email")
    response = client.post("/contact/", data)
    if response.status_code == 302:  # a harmless literal string, stored as text
        stored = Message.objects.get()
        assert isinstance(stored.name, str) and isinstance(stored.email, str)
    else:
        assert response.status_code == 400
        assert not Message.objects.exists()


def test_nosql_shaped_crm_input_is_harmless(lead_id, manager_client):
    for url in ("/crm/?q[$ne]=x", '/crm/?q={"$gt":""}', "/crm/?status[$ne]=won", '/crm/leads/{"$gt":""}/', "/crm/leads/$where/"):
        assert manager_client.get(url).status_code in (200, 400, 404), url


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example", "/\\evil.example", "javascript:alert(1)"])
def test_login_refuses_open_redirects(client, manager, target):
    from tests.factories import PASSWORD

    response = client.post(f"/crm/login/?next={target}", {"username": manager.username, "password": PASSWORD, "next": target})
    assert response.status_code == 302
    assert response["Location"] in ("/crm/", "/crm")


def test_no_upload_endpoints(db):
    from django.conf import settings

    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE <= 2_621_440
    assert not any("upload" in route for route in _patterns())


def test_pages_are_compressed(client, db):
    response = client.get("/", HTTP_ACCEPT_ENCODING="gzip")
    assert response["Content-Encoding"] == "gzip"
