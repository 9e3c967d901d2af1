"""Web push for staff: a browser's subscription, and the service worker under /crm/."""
from django.contrib.staticfiles import finders
from django.http import FileResponse, Http404, HttpRequest, JsonResponse
from django.views.decorators.http import require_GET, require_POST

from contact import services
from maniva_crm.forms import PushSubscriptionForm, push_subscription_data
from maniva_crm.views.access import staff_required


@require_POST
@staff_required()
def push_subscription(request: HttpRequest) -> JsonResponse:
    data = push_subscription_data(request.body)
    if data is None:
        error = {"message": "Send a PushSubscription as a JSON object.", "code": "malformed"}
        return JsonResponse({"ok": False, "errors": {"__all__": [error]}}, status=400)
    form = PushSubscriptionForm(data)
    if not form.is_valid():
        return JsonResponse({"ok": False, "errors": form.errors.get_json_data()}, status=400)
    data = form.cleaned_data
    if data["action"] == "unsubscribe":
        services.push_subscription_delete(user=request.user, endpoint=data["endpoint"])
        return JsonResponse({"ok": True, "subscribed": False})
    services.push_subscription_save(
        user=request.user, endpoint=data["endpoint"], p256dh=data["p256dh"], auth=data["auth"],
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
    )
    return JsonResponse({"ok": True, "subscribed": True}, status=201)


@require_GET
def service_worker(request: HttpRequest) -> FileResponse:
    """Served under /crm/ so that its scope covers the CRM pages."""
    path = finders.find("js/crm-sw.js")
    if not path:
        raise Http404
    response = FileResponse(open(path, "rb"), content_type="text/javascript")
    response["Service-Worker-Allowed"] = "/crm/"
    response["Cache-Control"] = "no-cache"
    return response
