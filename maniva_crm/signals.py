"""Login throttle bookkeeping, whichever view logged the user in (or failed to)."""
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from contact.meta import client_ip
from maniva_crm.login_throttle import login_failure_record, login_success_record


@receiver(user_login_failed, dispatch_uid="maniva_crm.login_failed")
def login_failed(sender, credentials: dict, request: HttpRequest | None = None, **kwargs) -> None:
    username = credentials.get("username", credentials.get(get_user_model().USERNAME_FIELD))
    login_failure_record(
        username=username if isinstance(username, str) else None,
        ip=client_ip(request) if request is not None else None,
        has_request=request is not None,
    )


@receiver(user_logged_in, dispatch_uid="maniva_crm.logged_in")
def logged_in(sender, request: HttpRequest | None, user, **kwargs) -> None:
    if request is not None:
        login_success_record(username=user.get_username(), ip=client_ip(request))
