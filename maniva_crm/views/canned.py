"""Managers' pages for canned replies: a list with a form to add one, an edit page, delete."""
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from maniva_crm import selectors, services
from maniva_crm.forms import CannedReplyForm
from maniva_crm.selectors.canned import PLACEHOLDERS
from maniva_crm.views.access import staff_required

MANAGE = "maniva_crm.manage_staff"  # Managers manage what staff send, as they manage staff


def _reply_or_404(pk: str):
    reply = selectors.canned_reply_get(pk=pk)
    if reply is None:
        raise Http404("No such canned reply")
    return reply


@staff_required(MANAGE)
def canned_list(request: HttpRequest) -> HttpResponse:
    form = CannedReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.canned_reply_save(**form.cleaned_data)
        messages.success(request, "Canned reply added.")
        return redirect("crm:canned")
    context = {"form": form, "replies": selectors.canned_replies_all(), "placeholders": PLACEHOLDERS}
    return render(request, "maniva_crm/canned_list.html", context, status=400 if form.errors else 200)


@staff_required(MANAGE)
def canned_edit(request: HttpRequest, pk: str) -> HttpResponse:
    reply = _reply_or_404(pk)
    form = CannedReplyForm(request.POST or None, reply=reply)
    if request.method == "POST" and form.is_valid():
        services.canned_reply_save(reply=reply, **form.cleaned_data)
        messages.success(request, "Canned reply saved.")
        return redirect("crm:canned")
    context = {"form": form, "reply": reply, "placeholders": PLACEHOLDERS}
    return render(request, "maniva_crm/canned_edit.html", context, status=400 if form.errors else 200)


@require_POST
@staff_required(MANAGE)
def canned_delete(request: HttpRequest, pk: str) -> HttpResponse:
    services.canned_reply_delete(reply=_reply_or_404(pk))
    messages.success(request, "Canned reply deleted.")
    return redirect("crm:canned")
