from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from contact.forms import ConsultationForm, ContactForm
from contact.meta import request_meta
from contact.ratelimit import RateLimited
from contact.services import message_submit

THANKS = "Thank you, {name}. Your message has reached us; we answer within one working day."
CONFIRMATION = "A confirmation is on its way to your email address."


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _form_page(request: HttpRequest, form_class: type[ContactForm], template: str) -> HttpResponse:
    if request.method != "POST":
        return render(request, template, {"form": form_class()})
    form = form_class(request.POST)
    if not form.is_valid():
        if _wants_json(request):
            return JsonResponse({"ok": False, "errors": form.errors.get_json_data()}, status=400)
        return render(request, template, {"form": form}, status=400)
    try:
        result = message_submit(
            kind=form.kind,
            submission=form.submission(),
            meta=request_meta(request),
            honeypot=form.cleaned_data["website"],
            form_ts=form.cleaned_data["form_ts"],
            idempotency_key=form.cleaned_data["idem"],
        )
    except RateLimited as exc:
        text = f"You have sent several messages in a short time. Please try again in {exc.retry_after // 60 + 1} minutes."
        if _wants_json(request):
            response = JsonResponse({"ok": False, "errors": {"__all__": [{"message": text, "code": "rate_limited"}]}}, status=429)
        else:
            form.add_error(None, text)
            response = render(request, template, {"form": form}, status=429)
        response["Retry-After"] = str(exc.retry_after)
        return response
    thanks = THANKS.format(name=form.cleaned_data["name"])
    # Only a stored message that is not spam has a confirmation queued; a spooled one is stored later.
    confirmation = CONFIRMATION if result.message is not None and not result.message.is_spam else ""
    if _wants_json(request):
        return JsonResponse({"ok": True, "message": thanks, "confirmation": confirmation}, status=201)
    messages.success(request, f"{thanks} {confirmation}".strip())
    return redirect(reverse("contact:thanks"))


@require_http_methods(["GET", "POST"])
def contact(request: HttpRequest) -> HttpResponse:
    return _form_page(request, ContactForm, "contact/contact.html")


@require_http_methods(["GET", "POST"])
def consultation(request: HttpRequest) -> HttpResponse:
    return _form_page(request, ConsultationForm, "contact/consultation.html")


def thanks(request: HttpRequest) -> HttpResponse:
    return render(request, "contact/thanks.html")
