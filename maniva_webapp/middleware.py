import codecs
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers


class SecurityHeadersMiddleware:
    """Adds Permissions-Policy (Django has no setting for it) to every answer, and backs up the
    headers of Django's SecurityMiddleware, which sits just inside this one: when its own
    process_request raises (the HTTPS redirect reads a bad Host header: DisallowedHost), the 400
    never passes back through its process_response, but it does pass through here."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        headers = response.headers
        headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        if settings.SECURE_CONTENT_TYPE_NOSNIFF:
            headers.setdefault("X-Content-Type-Options", "nosniff")
        if settings.SECURE_REFERRER_POLICY:
            policy = settings.SECURE_REFERRER_POLICY
            headers.setdefault("Referrer-Policy", policy if isinstance(policy, str) else ",".join(policy))
        if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
            headers.setdefault("Cross-Origin-Opener-Policy", settings.SECURE_CROSS_ORIGIN_OPENER_POLICY)
        return response


_UTF8_NAMES = {"utf-8", "ascii"}  # codecs' canonical names; ASCII is a subset of UTF-8


class RequestCharsetMiddleware:
    """The site reads request bodies as UTF-8 only; any other declared charset gets a 415 here.

    Django refuses a form body in another charset (even the alias `utf8`) with a BadRequest that
    every later read of request.POST raises again, the error page's own CSRF check included, so
    the visitor got the server's bare 500. This answers before anything reads the body, and
    spells UTF-8 aliases the one way Django accepts."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        charset = request.content_params.get("charset") if request.content_params else None
        if charset is not None:
            try:
                name = codecs.lookup(charset).name
            except LookupError:
                name = ""
            if name not in _UTF8_NAMES:
                return HttpResponse(
                    "Unsupported request charset: send UTF-8.\n", status=415, content_type="text/plain; charset=utf-8"
                )
            request.encoding = "utf-8"
        return self.get_response(request)


class CrmNoStoreMiddleware:
    """Every answer of a CRM view (errors included) holds one staff member's view of the leads:
    no browser, proxy or back/forward cache may keep a copy."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if match is not None and "crm" in match.namespaces:
            add_never_cache_headers(response)
        return response
