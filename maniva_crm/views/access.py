"""Who may see the CRM: the login page and the permission check every staff view carries."""
from collections.abc import Callable
from functools import wraps

from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from maniva_crm.forms import StaffAuthenticationForm
from maniva_crm.login_throttle import LoginThrottled
from maniva_crm.middleware import throttled_response
from maniva_crm.permissions import crm_can

WORK = "maniva_crm.work_leads"


def staff_required(permission: str = WORK) -> Callable:
    """Anonymous visitors go to the login page; logged-in accounts without the permission get 403."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path(), reverse("crm:login"))
            if not (user.is_active and user.is_staff and crm_can(user, permission)):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


class LoginView(auth_views.LoginView):
    template_name = "maniva_crm/login.html"
    authentication_form = StaffAuthenticationForm
    redirect_authenticated_user = False

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        """The throttle itself sits in the authentication backend; here a refusal keeps the form."""
        try:
            return super().post(request, *args, **kwargs)
        except LoginThrottled as exc:
            form = self.get_form_class()(request, initial={"username": request.POST.get("username", "")[:150]})
            return throttled_response(request, exc, self.template_name, self.get_context_data(form=form))
