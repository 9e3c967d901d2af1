"""Merging a duplicate lead into the lead whose page this is: a confirmation page, then a POST."""
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from contact.services import MergeRefused
from maniva_crm import selectors, services
from maniva_crm.forms import MergeForm
from maniva_crm.views.access import staff_required
from maniva_crm.views.lead import lead_or_404


@require_http_methods(["GET", "POST"])
@staff_required(services.MERGE)
def lead_merge(request: HttpRequest, pk: str) -> HttpResponse:
    """GET ?other=<id>: what the merge will do, and its button; POST other=<id>: merge it into this lead."""
    lead = lead_or_404(pk)
    form = MergeForm(request.POST if request.method == "POST" else request.GET)
    if not form.is_valid():
        return render(request, "maniva_crm/merge.html", {"lead": lead, "form": form}, status=400)
    other_id = form.cleaned_data["other"]
    other = selectors.lead_get(pk=other_id)
    if request.method == "GET":
        if other is None or other.pk == lead.pk:
            raise Http404("No such lead")
        return render(request, "maniva_crm/merge.html", {"lead": lead, "other": other, "form": form})
    try:
        result = services.lead_merge(survivor=lead, merged_id=other_id, actor=request.user)
    except MergeRefused as exc:
        return render(request, "maniva_crm/merge.html", {"lead": lead, "other": other, "form": form, "refused": str(exc)}, status=400)
    messages.success(request, f"Merged {result.merged_email or 'the lead'} into this lead ({result.messages} messages moved).")
    return redirect(lead.get_absolute_url())
