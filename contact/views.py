from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from contact.forms import ConsultationForm, ContactForm
from contact.meta import request_meta
from contact.ratelimit import RateLimited
from contact.services import message_submit
from contact.spool import SpoolFull

THANKS = "Thank you, {name}. Your message has reached us; we answer within one working day."
CONFIRMATION = "A confirmation is on its way to your email address."


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _refused(request: HttpRequest, form: ContactForm, template: str, *, text: str, code: str, status: int, retry_after: int) -> HttpResponse:
    """The form again with why it was not accepted (nothing was stored)."""
    if _wants_json(request):
        response = JsonResponse({"ok": False, "errors": {"__all__": [{"message": text, "code": code}]}}, status=status)
    else:
        form.add_error(None, text)
        response = render(request, template, {"form": form}, status=status)
    response["Retry-After"] = str(retry_after)
    return response


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
        return _refused(request, form, template, text=text, code="rate_limited", status=429, retry_after=exc.retry_after)
    except SpoolFull as exc:
        text = "We cannot take messages for a few minutes. Please try again shortly, or write to us by email."
        return _refused(request, form, template, text=text, code="unavailable", status=503, retry_after=exc.retry_after)
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
