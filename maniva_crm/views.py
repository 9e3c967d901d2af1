"""Staff views: thin, server-side permission checks, htmx partials with plain-form fallbacks."""
import csv
import json
from collections.abc import Callable, Iterator
from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from contact.models import Lead, LeadStatus
from maniva_crm import selectors, services
from maniva_crm.login_throttle import LoginThrottled
from maniva_crm.middleware import throttled_response
from maniva_crm.permissions import crm_can
from maniva_crm.forms import (
    AssignForm,
    BulkForm,
    InboxFilterForm,
    NoteForm,
    PushSubscriptionForm,
    ReplyForm,
    RoleForm,
    SpamForm,
    StaffAuthenticationForm,
    StaffCreateForm,
    StatusForm,
    TagsForm,
    push_subscription_data,
)

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


def _lead_or_404(pk: str) -> Lead:
    lead = selectors.lead_get(pk=pk)
    if lead is None:
        raise Http404("No such lead")
    return lead


@require_GET
@staff_required()
def inbox(request: HttpRequest) -> HttpResponse:
    staff_list = list(selectors.staff_users())
    form = InboxFilterForm(request.GET or None, staff=staff_list)
    filters = form.filters() if request.GET else selectors.InboxFilters()
    usernames = {u.pk: u.get_username() for u in staff_list}
    page = selectors.inbox_page(filters=filters, page=form.page() if request.GET else 1, usernames=usernames)
    query = filters.as_query()
    context = {
        "form": form,
        "page": page,
        "filters": filters,
        "query": urlencode(query),
        "counts_url": f"{reverse('crm:counts')}?{urlencode(query)}",
        "statuses": LeadStatus.choices,
        "staff": staff_list,
        "can_export": crm_can(request.user, "maniva_crm.export_leads"),
    }
    if request.htmx and request.htmx.target == "inbox-results":
        return render(request, "maniva_crm/_inbox_results.html", context)
    return render(request, "maniva_crm/inbox.html", context)


@require_GET
@staff_required()
def inbox_counts(request: HttpRequest) -> HttpResponse:
    """Counts cost a pass over the filtered leads, so the inbox fetches them after it has shown."""
    filters = InboxFilterForm(request.GET).filters()
    counts = selectors.inbox_status_counts(filters=filters)
    base = filters.as_query()
    base.pop("status", None)
    links = [
        (value, label, counts[value], f"{reverse('crm:inbox')}?{urlencode({**base, 'status': value})}")
        for value, label in LeadStatus.choices
    ]
    template = "maniva_crm/_status_counts.html" if request.htmx else "maniva_crm/status_counts.html"
    return render(request, template, {"links": links, "current": filters.status, "total": sum(counts.values())})


@require_POST
@staff_required()
def inbox_bulk(request: HttpRequest) -> HttpResponse:
    form = BulkForm(request.POST)
    if form.is_valid() and form.lead_ids:
        count = services.leads_bulk(
            lead_ids=form.lead_ids,
            action=form.cleaned_data["action"],
            value=form.cleaned_data["value"],
            actor=request.user,
            assignee=form.assignee(),
        )
        messages.success(request, f"Updated {count} lead{'s' if count != 1 else ''}.")
    else:
        messages.error(request, "Select leads and a valid action.")
    back = request.POST.get("back", "")
    return redirect(f"{reverse('crm:inbox')}?{back}" if back and not back.startswith(("/", "http")) else reverse("crm:inbox"))


def _lead_context(request: HttpRequest, lead: Lead, **forms) -> dict:
    return {
        "lead": lead,
        "messages_sent": selectors.messages_of(lead=lead),
        "timeline": selectors.lead_timeline(lead=lead),
        "status_form": forms.get("status_form") or StatusForm(initial={"status": lead.status}),
        "note_form": forms.get("note_form") or NoteForm(),
        "tags_form": forms.get("tags_form") or TagsForm(initial={"tags": ", ".join(lead.tags)}),
        "assign_form": forms.get("assign_form") or AssignForm(initial={"assignee": lead.assignee_id}),
        "reply_form": forms.get("reply_form") or ReplyForm(initial={"subject": f"Re: {lead.last_subject}" if lead.last_subject else ""}),
        "statuses": LeadStatus.choices,
        "pipeline": services.PIPELINE,
        "can_export": crm_can(request.user, "maniva_crm.export_leads"),
        "can_erase": crm_can(request.user, "maniva_crm.erase_person"),
    }


@require_GET
@staff_required()
def lead_detail(request: HttpRequest, pk: str) -> HttpResponse:
    lead = _lead_or_404(pk)
    return render(request, "maniva_crm/lead.html", _lead_context(request, lead))


def _after_change(request: HttpRequest, lead: Lead, partial: str = "maniva_crm/_lead_work.html", **forms) -> HttpResponse:
    """htmx gets the refreshed panel; a plain form post is redirected back to the lead page."""
    if request.htmx:
        return render(request, partial, _lead_context(request, lead, **forms))
    if forms:
        return render(request, "maniva_crm/lead.html", _lead_context(request, lead, **forms), status=400)
    return redirect(lead.get_absolute_url())


@require_POST
@staff_required()
def lead_status(request: HttpRequest, pk: str) -> HttpResponse:
    lead = _lead_or_404(pk)
    form = StatusForm(request.POST)
    if not form.is_valid():
        return _after_change(request, lead, status_form=form)
    lead = services.lead_status_set(lead=lead, status=form.cleaned_data["status"], actor=request.user)
    return _after_change(request, lead)


@require_POST
@staff_required()
def lead_spam(request: HttpRequest, pk: str) -> HttpResponse:
    lead = _lead_or_404(pk)
    form = SpamForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("Unknown verdict")
    lead = services.lead_spam_mark(lead=lead, spam=form.cleaned_data["verdict"] == "spam", actor=request.user)
    return _after_change(request, lead)


@require_POST
@staff_required()
def lead_note(request: HttpRequest, pk: str) -> HttpResponse:
    lead = _lead_or_404(pk)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _after_change(request, lead, note_form=form)
    services.lead_note_add(lead=lead, body=form.cleaned_data["body"], actor=request.user)
    return _after_change(request, lead)


@require_POST
@staff_required()
def lead_tags(request: HttpRequest, pk: str) -> HttpResponse:
    lead = _lead_or_404(pk)
    form = TagsForm(request.POST)
    if not form.is_valid():
        return _after_change(request, lead, tags_form=form)
    lead = services.lead_tags_set(lead=lead, tags=form.cleaned_data["tags"], actor=request.user)
    return _after_change(request, lead)


@require_POST
@staff_required()
def lead_assign(request: HttpRequest, pk: str) -> HttpResponse:
    lead = _lead_or_404(pk)
    form = AssignForm(request.POST)
    if not form.is_valid():
        return _after_change(request, lead, assign_form=form)
    lead = services.lead_assign(lead=lead, assignee=form.cleaned_data["assignee"], actor=request.user)
    return _after_change(request, lead)


@require_POST
@staff_required()
def lead_reply(request: HttpRequest, pk: str) -> HttpResponse:
    lead = _lead_or_404(pk)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        return _after_change(request, lead, reply_form=form)
    services.lead_reply(lead=lead, subject=form.cleaned_data["subject"], body=form.cleaned_data["body"], actor=request.user)
    if not request.htmx:
        messages.success(request, "Reply queued for sending.")
    return _after_change(request, lead)


@require_GET
@staff_required("maniva_crm.export_leads")
def lead_export(request: HttpRequest, pk: str) -> HttpResponse:
    lead = _lead_or_404(pk)
    data = selectors.person_data(lead=lead)
    services.person_export_record(lead=lead, actor=request.user)
    response = HttpResponse(json.dumps(data, indent=2, ensure_ascii=False, default=str), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="person-{lead.pk}.json"'
    return response


@require_POST
@staff_required("maniva_crm.erase_person")
def lead_erase(request: HttpRequest, pk: str) -> HttpResponse:
    lead = _lead_or_404(pk)
    if request.POST.get("confirm") != lead.email:
        messages.error(request, "Type the person's email address to confirm the erasure.")
        return redirect(lead.get_absolute_url())
    counts = services.person_erase(lead=lead, actor=request.user)
    messages.success(request, f"Erased the person, {counts['messages']} messages and {counts['notes']} notes.")
    return redirect("crm:inbox")


class _Echo:
    def write(self, value: str) -> str:
        return value


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """A spreadsheet would run a cell starting with = + - @ as a formula: prefix it with a quote."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


def _csv_lines(rows: Iterator[selectors.LeadRow]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(["name", "email", "company", "status", "assignee", "tags", "country", "messages",
                           "last subject", "created", "last activity", "spam"])
    for row in rows:
        yield writer.writerow([csv_cell(v) for v in (
            row.name, row.email, row.company, row.status, row.assignee, " ".join(row.tags), row.country,
            row.message_count, row.last_subject, row.created_at.isoformat() if row.created_at else "",
            row.last_activity_at.isoformat() if row.last_activity_at else "", "yes" if row.is_spam else "no",
        )])


@require_GET
@staff_required("maniva_crm.export_leads")
def inbox_export(request: HttpRequest) -> StreamingHttpResponse:
    filters = InboxFilterForm(request.GET).filters()
    services.leads_export_record(actor=request.user, filters=filters.as_query())
    response = StreamingHttpResponse(_csv_lines(selectors.inbox_export_rows(filters=filters)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="leads.csv"'
    return response


@require_GET
@staff_required("maniva_crm.view_auditentry")
def audit_log(request: HttpRequest) -> HttpResponse:
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    entries, has_next = selectors.audit_page(page=page)
    return render(request, "maniva_crm/audit.html", {"entries": entries, "page": page, "has_next": has_next})


@require_GET
@staff_required()
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "maniva_crm/dashboard.html", {"stats": selectors.dashboard_stats(), "report": selectors.analytics_latest()})


@staff_required("maniva_crm.manage_staff")
def staff(request: HttpRequest) -> HttpResponse:
    form = RoleForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            services.staff_role_set(user=form.cleaned_data["user"], role=form.cleaned_data["role"], actor=request.user)
            messages.success(request, "Role saved.")
            return redirect("crm:staff")
    return _staff_page(request, form=form, create_form=StaffCreateForm())


@require_POST
@staff_required("maniva_crm.manage_staff")
def staff_create(request: HttpRequest) -> HttpResponse:
    form = StaffCreateForm(request.POST)
    if not form.is_valid():
        return _staff_page(request, form=RoleForm(), create_form=form)
    data = form.cleaned_data
    user = services.staff_create(
        username=data["username"], email=data["email"], first_name=data["first_name"], last_name=data["last_name"],
        role=data["role"], password=data["password1"], actor=request.user,
    )
    messages.success(request, f"Staff account {user.get_username()} created with the role {data['role']}.")
    return redirect("crm:staff")


def _staff_page(request: HttpRequest, *, form: RoleForm, create_form: StaffCreateForm) -> HttpResponse:
    context = {"form": form, "create_form": create_form, "users": selectors.accounts_with_roles()}
    return render(request, "maniva_crm/staff.html", context, status=400 if form.errors or create_form.errors else 200)


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

