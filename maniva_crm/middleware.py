from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from maniva_crm.login_throttle import LoginThrottled


def throttled_response(request: HttpRequest, exc: LoginThrottled, template: str, context: dict | None = None) -> HttpResponse:
    context = {"throttled": True, "retry_minutes": max(1, -(-exc.retry_after // 60)), **(context or {})}
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response


class LoginThrottledMiddleware:
    """A login refused by the throttle (maniva_crm.backends), from any view, is a 429 page, not a 500."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, LoginThrottled):
            return throttled_response(request, exception, "maniva_crm/login_throttled.html", {"back_url": request.get_full_path()})
        return None
