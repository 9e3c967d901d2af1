from django.conf import settings
from django.db import DatabaseError, connection
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponsePermanentRedirect,
    HttpResponseServerError,
    JsonResponse,
)
from django.shortcuts import render
from django.template import loader
from django.templatetags.static import static
from django.views import defaults
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_safe
from pymongo.errors import PyMongoError

from contact.forms import ConsultationForm, ContactForm
from maniva_webapp.content import site_content
from maniva_webapp.pagecache import cached_page
from maniva_webapp.seo import ld_json, organization_ld

# The landing page carries a fresh CSRF token, form timestamp and idempotency key, so it is never
# shared between visitors: private, revalidated on every visit (no-store would only cost the
# back/forward cache). It is cheap instead: no database query renders it, and it is rendered once
# per language and copy version, the per-visitor values put in per request (maniva_webapp.pagecache).
_PRIVATE_PAGE = {"private": True, "no_cache": True}
_PUBLIC_DAY = {"public": True, "max_age": 86_400}


@require_safe
@cache_control(**_PRIVATE_PAGE)
def landing(request: HttpRequest) -> HttpResponse:
    def page(marks: dict | None = None) -> str:
        contact, consult = ({"form_ts": marks["form_ts"], "idem": idem} for idem in marks["idems"]) if marks else ({}, {})
        context = {
            "form": ContactForm(initial=contact),
            # Two forms on one page: the second one's ids get a prefix so that none is duplicated.
            "consultation_form": ConsultationForm(auto_id="consult_%s", initial=consult),
            "organization_ld": ld_json(organization_ld()),
            **({"csrf_token": marks["csrf_token"]} if marks else {}),
        }
        return loader.render_to_string("maniva_webapp/landing.html", context, request)

    return HttpResponse(cached_page(request, page) or page())


@require_safe
@cache_control(private=True, max_age=3600)
def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "maniva_webapp/privacy.html")


@require_safe
@cache_control(**_PUBLIC_DAY)
def robots_txt(request: HttpRequest) -> HttpResponse:
    lines = ["User-agent: *", "Disallow: /crm/", "Disallow: /admin/", "Allow: /", "", f"Sitemap: {settings.SITE_URL}/sitemap.xml", ""]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")


@require_safe
@cache_control(**_PUBLIC_DAY)
def web_manifest(request: HttpRequest) -> HttpResponse:
    """A view rather than a static file, so that the icons are named by their hashed URLs."""
    icons = [
        {"src": static("img/icon-192.png"), "sizes": "192x192", "type": "image/png"},
        {"src": static("img/icon-512.png"), "sizes": "512x512", "type": "image/png"},
        {"src": static("img/icon-maskable-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "maskable"},
        {"src": static("img/favicon.svg"), "sizes": "any", "type": "image/svg+xml"},
    ]
    company = site_content().company
    manifest = {
        "name": str(company.name),
        "short_name": str(company.name).split()[0],
        "description": str(company.summary),
        "start_url": "/",
        "scope": "/",
        "display": "browser",
        "background_color": "#ffffff",
        "theme_color": "#0b6b4b",
        "icons": icons,
    }
    return JsonResponse(manifest, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False})


@require_safe
@cache_control(**_PUBLIC_DAY)
def favicon(request: HttpRequest) -> HttpResponse:
    """Some clients ask for /favicon.ico whatever the page says; send them to the hashed file."""
    return HttpResponsePermanentRedirect(static("img/favicon.ico"))


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return defaults.permission_denied(request, exception, template_name="maniva_webapp/403.html")


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return defaults.page_not_found(request, exception, template_name="maniva_webapp/404.html")


# The 400 and 500 pages skip Django's requires_csrf_token on purpose: it runs the CSRF check,
# which reads request.POST, and a body that could not be parsed the first time raises again
# there, turning the error page itself into the server's bare 500. Neither page has a form.
def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    return HttpResponseBadRequest(loader.render_to_string("maniva_webapp/400.html"))


def server_error(request: HttpRequest) -> HttpResponse:
    """500.html is self-contained: it is rendered without context, when something already failed."""
    return HttpResponseServerError(loader.render_to_string("maniva_webapp/500.html"))


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: Django's own page carries inline styles, which the CSP blocks."""
    return render(request, "maniva_webapp/403_csrf.html", status=403)


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        connection.ensure_connection()
        connection.database.command("ping")
    except (DatabaseError, PyMongoError) as exc:
        return JsonResponse({"status": "unavailable", "database": "unreachable", "reason": type(exc).__name__}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})
