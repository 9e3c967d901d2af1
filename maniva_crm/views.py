from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from contact.models import Lead
from contact.selectors import messages_for_lead


@staff_member_required(login_url="crm:login")
def inbox(request: HttpRequest) -> HttpResponse:
    return render(request, "maniva_crm/inbox.html", {"leads": Lead.objects.select_related("assignee")[:50]})


@staff_member_required(login_url="crm:login")
def lead_detail(request: HttpRequest, pk: str) -> HttpResponse:
    lead = get_object_or_404(Lead, pk=pk)
    return render(request, "maniva_crm/lead.html", {"lead": lead, "messages_sent": messages_for_lead(lead_id=lead.pk)})
