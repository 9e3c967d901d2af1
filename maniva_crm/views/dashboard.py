"""The dashboard: charts of the leads and the latest analytics report."""
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from maniva_crm import selectors, services
from maniva_crm.views.access import staff_required


@require_GET
@staff_required()
def dashboard(request: HttpRequest) -> HttpResponse:
    stored = selectors.dashboard_figures_stored() or services.dashboard_figures_refresh()  # the worker keeps them fresh
    context = {"stats": selectors.dashboard_stats(stored=stored), "report": selectors.analytics_latest(),
               "refresh_minutes": int(services.DASHBOARD_REFRESH.total_seconds() // 60)}
    return render(request, "maniva_crm/dashboard.html", context)
