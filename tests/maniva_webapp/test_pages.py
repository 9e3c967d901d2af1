"""The public pages as crawlers and caches see them: markup, SEO files, headers, error pages."""
import json
import re
import xml.etree.ElementTree as ET

import pytest
from django.conf import settings
from django.test import RequestFactory

from maniva_webapp.views import server_error

PUBLIC_PAGES = ["/", "/privacy/", "/contact/", "/consultation/"]


def _ids(html: str) -> list[str]:
    return re.findall(r'\sid="([^"]+)"', html)


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_carry_seo_and_no_inline_code(client, db, path):
    response = client.get(path)
    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(r"<title>[^<]{10,}</title>", html)
    assert re.search(r'<meta name="description" content="[^"]{50,}">', html)
    assert f'<link rel="canonical" href="{settings.SITE_URL}{path}">' in html
    for prop in ("og:title", "og:description", "og:url", "og:image"):
        assert f'property="{prop}"' in html
    assert 'name="twitter:card" content="summary_large_image"' in html
    assert 'rel="manifest"' in html and 'rel="icon"' in html
    # A strict CSP holds only without inline code: no style attributes, no executable inline scripts.
    assert not re.search(r"\sstyle=", html)
    assert not re.search(r"<style", html)
    for attrs in re.findall(r"<script([^>]*)>", html):
        assert "src=" in attrs or 'type="application/ld+json"' in attrs, attrs
    assert not re.search(r"\son[a-z]+=", html)
    ids = _ids(html)
    assert len(ids) == len(set(ids)), "duplicate ids"
    assert "lorem" not in html.lower()


def test_landing_has_both_forms_with_their_hidden_fields(client, db):
    html = client.get("/").content.decode()
    assert html.count("<form") == 2
    for name in ("name", "email", "subject", "message", "form_ts", "idem", "website", "page", "csrfmiddlewaretoken"):
        assert html.count(f'name="{name}"') == 2, name
    for name in ("preferred_date", "time_window", "topic"):
        assert f'name="{name}"' in html
    assert 'id="consult_email"' in html and 'id="id_email"' in html
    # The honeypot is hidden from assistive technology and out of the tab order.
    honeypots = re.findall(r'<div class="hp-field" aria-hidden="true">.*?</div>', html, re.S)
    assert len(honeypots) == 2 and all('tabindex="-1"' in h and 'name="website"' in h for h in honeypots)


def test_landing_json_ld_is_an_organization(client, db):
    html = client.get("/").content.decode()
    raw = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    data = json.loads(raw)
    assert data["@type"] == "Organization" and data["name"] == "Maniva Digital"
    assert data["url"] == f"{settings.SITE_URL}/"


def test_landing_is_private_revalidated_and_needs_no_database(client, db, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/")
    cache = response["Cache-Control"]
    assert "private" in cache and "no-cache" in cache and "public" not in cache
    assert "csrftoken" in response.cookies
    # Each visitor gets their own form keys, which is why the page is never cached publicly.
    second = client.get("/").content.decode()
    assert _idem(second) != _idem(response.content.decode())


def _idem(html: str) -> str:
    return re.search(r'name="idem" value="([0-9a-f]{32})"', html).group(1)


def test_csp_header_is_strict(client, db):
    csp = client.get("/")["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "default-src 'self'" in csp


def test_robots_txt(client, db):
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    body = response.content.decode()
    assert "Disallow: /crm/" in body and f"Sitemap: {settings.SITE_URL}/sitemap.xml" in body


def test_sitemap_lists_public_pages_on_site_url(client, db):
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = [loc.text for loc in ET.fromstring(response.content).findall(".//s:loc", ns)]
    assert sorted(locs) == sorted(f"{settings.SITE_URL}{path}" for path in PUBLIC_PAGES)


def test_web_manifest_points_at_hashed_icons_that_exist(client, db):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200 and response["Content-Type"] == "application/manifest+json"
    manifest = response.json()
    assert manifest["name"] == "Maniva Digital" and manifest["start_url"] == "/"
    for icon in manifest["icons"]:
        assert re.search(r"\.[0-9a-f]{12}\.", icon["src"]), icon["src"]
        assert client.get(icon["src"]).status_code == 200


def test_favicon_ico_redirects_to_hashed_file(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and re.search(r"/static/img/favicon\.[0-9a-f]{12}\.ico$", response["Location"])


def test_hashed_static_files_are_cached_forever(client, db):
    html = client.get("/").content.decode()
    css = re.search(r'href="(/static/css/site\.[0-9a-f]{12}\.css)"', html).group(1)
    response = client.get(css, HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200
    assert "immutable" in response["Cache-Control"] and "max-age=315360000" in response["Cache-Control"]
    assert response.get("Content-Encoding") == "gzip"


def test_404_page_is_branded(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "We could not find that page" in html and 'name="robots" content="noindex"' in html


def test_403_page_has_the_site_layout_for_a_sales_user_on_a_managers_page(client, db):
    from maniva_crm.services import SALES, roles_ensure
    from tests.factories import make_user

    roles_ensure()
    client.force_login(make_user("sam", role=SALES))
    response = client.get("/crm/staff/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "<title>Access denied — Maniva Digital</title>" in html and 'name="robots" content="noindex"' in html
    assert '<nav class="navbar navbar-expand-lg" aria-label="Main">' in html and '<footer class="site-footer' in html
    assert re.search(r'href="/static/css/site\.[0-9a-f]{12}\.css"', html)
    assert "Error 403" in html and "signed in as <strong>sam</strong>" in html and 'href="/crm/"' in html
    assert not re.search(r"\sstyle=|<style", html)


def test_500_page_renders_without_context():
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()
