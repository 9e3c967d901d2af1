"""The inbox: the filtered list of leads, its per-status counts, and bulk actions on a selection."""
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from contact.models import LeadStatus
from maniva_crm import selectors, services
from maniva_crm.forms import BulkForm, InboxFilterForm
from maniva_crm.permissions import crm_can
from maniva_crm.views.access import staff_required


@require_GET
@staff_required()
def inbox(request: HttpRequest) -> HttpResponse:
    staff_list = selectors.staff_users_recent()
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
        "intents": form.fields["intent"].choices[1:],
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
