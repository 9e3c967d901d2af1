"""The dashboard: charts of the leads and the latest analytics report."""
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from maniva_crm import selectors
from maniva_crm.views.access import staff_required


@require_GET
@staff_required()
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "maniva_crm/dashboard.html", {"stats": selectors.dashboard_stats(), "report": selectors.analytics_latest()})
