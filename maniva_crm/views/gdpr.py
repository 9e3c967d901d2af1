"""A person's rights: everything stored about them as JSON (access), and erasure."""
import json

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from maniva_crm import selectors, services
from maniva_crm.views.access import staff_required
from maniva_crm.views.lead import lead_or_404


@require_GET
@staff_required("maniva_crm.export_leads")
def lead_export(request: HttpRequest, pk: str) -> HttpResponse:
    lead = lead_or_404(pk)
    data = selectors.person_data(lead=lead)
    services.person_export_record(lead=lead, actor=request.user)
    response = HttpResponse(json.dumps(data, indent=2, ensure_ascii=False, default=str), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="person-{lead.pk}.json"'
    return response


@require_POST
@staff_required("maniva_crm.erase_person")
def lead_erase(request: HttpRequest, pk: str) -> HttpResponse:
    lead = lead_or_404(pk)
    if request.POST.get("confirm") != lead.email:
        messages.error(request, "Type the person's email address to confirm the erasure.")
        return redirect(lead.get_absolute_url())
    counts = services.person_erase(lead=lead, actor=request.user)
    messages.success(request, f"Erased the person, {counts['messages']} messages and {counts['notes']} notes.")
    return redirect("crm:inbox")
