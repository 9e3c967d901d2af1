"""A lead's page and the staff's actions on it: one thin view per action over one shared helper."""
from collections.abc import Callable

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.http import content_disposition_header
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from analytics.intent import intent_choices, intent_labels
from contact.models import Lead, LeadStatus, SpamLabel
from maniva_crm import selectors, services
from maniva_crm.forms import AssignForm, IntentForm, NoteForm, ReplyForm, SpamForm, StatusForm, TagsForm
from maniva_crm.permissions import crm_can
from maniva_crm.templatetags.crm import intent_cell
from maniva_crm.views.access import staff_required


def lead_or_404(pk: str) -> Lead:
    lead = selectors.lead_get(pk=pk)
    if lead is None:
        raise Http404("No such lead")
    return lead


def _reply_subject(lead: Lead) -> str:
    return f"Re: {lead.last_subject}" if lead.last_subject else ""


def _lead_context(request: HttpRequest, lead: Lead, **forms) -> dict:
    return {
        "lead": lead,
        "conversation": selectors.lead_conversation(lead=lead),
        "timeline": selectors.lead_timeline(lead=lead),
        "status_form": forms.get("status_form") or StatusForm(initial={"status": lead.status}),
        "note_form": forms.get("note_form") or NoteForm(),
        "tags_form": forms.get("tags_form") or TagsForm(initial={"tags": ", ".join(lead.tags)}),
        "assign_form": forms.get("assign_form") or AssignForm(initial={"assignee": lead.assignee_id}),
        "reply_form": forms.get("reply_form") or ReplyForm(initial={"subject": _reply_subject(lead)}),
        "canned": selectors.canned_for_lead(lead=lead, staff=request.user),
        "statuses": LeadStatus.choices,
        "pipeline": services.PIPELINE,
        "can_export": crm_can(request.user, "maniva_crm.export_leads"),
        "can_erase": crm_can(request.user, "maniva_crm.erase_person"),
        "intents": intent_choices(),
        "intent_label": intent_labels().get(lead.intent, lead.intent),
    }


@require_GET
@staff_required()
def lead_detail(request: HttpRequest, pk: str) -> HttpResponse:
    lead = selectors.lead_get(pk=pk)
    if lead is None:
        if survivor := selectors.lead_merged_into(lead_id=pk):  # an old link to a merged lead
            return redirect(survivor.get_absolute_url())
        raise Http404("No such lead")
    canned = selectors.canned_reply_get(pk=request.GET.get("canned", ""))
    if canned is None:
        return render(request, "maniva_crm/lead.html", {**_lead_context(request, lead), **_duplicates(request, lead)})
    # The canned reply inserted without JavaScript: the page again, its reply form filled in.
    body = selectors.canned_render(body=canned.body, lead=lead, staff=request.user)
    context = _lead_context(request, lead, reply_form=ReplyForm(initial={"subject": _reply_subject(lead), "body": body}))
    return render(request, "maniva_crm/lead.html", {**context, **_duplicates(request, lead), "reply_open": True})


def _duplicates(request: HttpRequest, lead: Lead) -> dict:
    """Only the full page lists duplicates (not the panel htmx refreshes after each action)."""
    return {"duplicates": selectors.lead_duplicates(lead=lead), "can_merge": crm_can(request.user, services.MERGE)}


def _after_change(request: HttpRequest, lead: Lead, **forms) -> HttpResponse:
    """htmx gets the refreshed panel; a plain form post is redirected back to the lead page (or, with
    a refused form, shown the page again with its errors)."""
    if request.htmx:
        return render(request, "maniva_crm/_lead_work.html", _lead_context(request, lead, **forms))
    if forms:
        return render(request, "maniva_crm/lead.html", _lead_context(request, lead, **forms), status=400)
    return redirect(lead.get_absolute_url())


Action = Callable[[HttpRequest, Lead, dict], object]


def _lead_post(request: HttpRequest, pk: str, form_class: type, form_name: str, action: Action) -> HttpResponse:
    """Bind the form, run the action (a service, which refreshes the lead), answer with the panel;
    a refused form comes back under `form_name` with its errors."""
    lead = lead_or_404(pk)
    form = form_class(request.POST)
    if not form.is_valid():
        return _after_change(request, lead, **{form_name: form})
    action(request, lead, form.cleaned_data)
    return _after_change(request, lead)


@require_POST
@staff_required()
def lead_status(request: HttpRequest, pk: str) -> HttpResponse:
    return _lead_post(request, pk, StatusForm, "status_form", lambda request, lead, data: services.lead_status_set(
        lead=lead, status=data["status"], actor=request.user))


@require_POST
@staff_required()
def lead_spam(request: HttpRequest, pk: str) -> HttpResponse:
    lead = lead_or_404(pk)
    form = SpamForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("Unknown verdict")
    services.lead_spam_mark(lead=lead, spam=form.cleaned_data["verdict"] == SpamLabel.SPAM, actor=request.user)
    return _after_change(request, lead)


@require_POST
@staff_required()
def lead_note(request: HttpRequest, pk: str) -> HttpResponse:
    return _lead_post(request, pk, NoteForm, "note_form", lambda request, lead, data: services.lead_note_add(
        lead=lead, body=data["body"], actor=request.user))


@require_POST
@staff_required()
def lead_tags(request: HttpRequest, pk: str) -> HttpResponse:
    return _lead_post(request, pk, TagsForm, "tags_form", lambda request, lead, data: services.lead_tags_set(
        lead=lead, tags=data["tags"], actor=request.user))


@require_POST
@staff_required()
def lead_assign(request: HttpRequest, pk: str) -> HttpResponse:
    return _lead_post(request, pk, AssignForm, "assign_form", lambda request, lead, data: services.lead_assign(
        lead=lead, assignee=data["assignee"], actor=request.user))


@require_POST
@staff_required()
def lead_intent(request: HttpRequest, pk: str) -> HttpResponse:
    """Staff set a lead's intent: from the inbox (htmx swaps the row's cell; a plain POST goes back to
    the inbox page it came from) or from the lead page (its panel)."""
    lead = lead_or_404(pk)
    form = IntentForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("Unknown intent")
    lead = services.lead_intent_set(lead=lead, intent=form.cleaned_data["intent"], actor=request.user)
    if request.htmx and (request.htmx.target or "").startswith("intent-"):
        return HttpResponse(intent_cell(lead_id=str(lead.pk), name=lead.name, intent=lead.intent,
                                        set_at=lead.intent_set_at, choices=intent_choices()))
    back = form.cleaned_data["back"]
    if not request.htmx and "back" in request.POST:
        inbox = reverse("crm:inbox")
        return redirect(f"{inbox}?{back}" if back and not back.startswith(("/", "http", "\\")) else inbox)
    return _after_change(request, lead)


def _reply(request: HttpRequest, lead: Lead, data: dict) -> None:
    services.lead_reply(lead=lead, subject=data["subject"], body=data["body"], actor=request.user)
    if not request.htmx:
        messages.success(request, "Reply queued for sending.")


@require_POST
@staff_required()
def lead_reply(request: HttpRequest, pk: str) -> HttpResponse:
    return _lead_post(request, pk, ReplyForm, "reply_form", _reply)


@require_GET
@staff_required()
def lead_attachment(request: HttpRequest, pk: str, file_id: str) -> HttpResponse:
    """An attachment of one of this lead's mails, always as a download: never rendered by the browser."""
    lead = lead_or_404(pk)
    attachment = selectors.lead_attachment_get(lead_id=lead.pk, file_id=file_id)
    if attachment is None:
        raise Http404("No such attachment")
    response = HttpResponse(attachment.data, content_type=attachment.content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=attachment.filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private, no-store"
    return response
