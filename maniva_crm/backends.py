"""The project's only authentication backend: Django's ModelBackend behind the login throttle.

It sits inside `django.contrib.auth.authenticate()`, which every login form calls (the CRM's,
the admin's, any added later), so no login path can skip the throttle. Failures are counted by a
`user_login_failed` receiver (maniva_crm.signals): that signal fires only when every backend said
no, so a second backend added later cannot make a good login count as a failure.
"""
from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from contact.meta import client_ip
from maniva_crm.login_throttle import login_throttle_check


def _check(request: HttpRequest | None, username: str | None, kwargs: dict) -> None:
    if username is None:
        username = kwargs.get(get_user_model().USERNAME_FIELD)
    login_throttle_check(username=username, ip=client_ip(request) if request is not None else None, has_request=request is not None)


class ThrottledModelBackend(ModelBackend):
    """Refuses before the password is hashed when the throttle is full: LoginThrottled is not
    PermissionDenied, so `authenticate()` lets it through to the view, and LoginThrottledMiddleware
    answers 429 (the CRM login view catches it to show its own form)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        _check(request, username, kwargs)
        return super().authenticate(request, username=username, password=password, **kwargs)

    async def aauthenticate(self, request, username=None, password=None, **kwargs):
        await sync_to_async(_check)(request, username, kwargs)
        return await super().aauthenticate(request, username=username, password=password, **kwargs)
