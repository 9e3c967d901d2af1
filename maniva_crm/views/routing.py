"""Managers' page for routing rules: the rules in order, a form to add one, edit, move, delete."""
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from analytics.intent import intent_labels
from maniva_crm import services
from maniva_crm.forms import RoutingRuleForm
from maniva_crm.models import RoutingRule
from maniva_crm.views.access import staff_required
from maniva_crm.views.canned import MANAGE  # Managers set who works which lead, as they manage staff


def _rule_or_404(pk: str) -> RoutingRule:
    from bson import ObjectId

    rule = RoutingRule.objects.filter(pk=pk).select_related("user").first() if ObjectId.is_valid(pk) else None
    if rule is None:
        raise Http404("No such routing rule")
    return rule


@staff_required(MANAGE)
def routing_list(request: HttpRequest) -> HttpResponse:
    form = RoutingRuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.routing_rule_save(actor=request.user, **form.cleaned_data)
        messages.success(request, "Routing rule added.")
        return redirect("crm:routing")
    rules = list(RoutingRule.objects.select_related("user").order_by("position", "pk"))
    labels = intent_labels()
    for rule in rules:
        rule.intent_display = labels.get(rule.intent, rule.intent)
    context = {"form": form, "rules": rules}
    return render(request, "maniva_crm/routing.html", context, status=400 if form.errors else 200)


@staff_required(MANAGE)
def routing_edit(request: HttpRequest, pk: str) -> HttpResponse:
    rule = _rule_or_404(pk)
    initial = {name: getattr(rule, name) for name in services.RULE_FIELDS}
    form = RoutingRuleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.routing_rule_save(actor=request.user, rule=rule, **form.cleaned_data)
        messages.success(request, "Routing rule saved.")
        return redirect("crm:routing")
    return render(request, "maniva_crm/routing_edit.html", {"form": form, "rule": rule}, status=400 if form.errors else 200)


@require_POST
@staff_required(MANAGE)
def routing_move(request: HttpRequest, pk: str) -> HttpResponse:
    services.routing_rule_move(rule=_rule_or_404(pk), up=request.POST.get("direction") != "down", actor=request.user)
    return redirect("crm:routing")


@require_POST
@staff_required(MANAGE)
def routing_delete(request: HttpRequest, pk: str) -> HttpResponse:
    services.routing_rule_delete(rule=_rule_or_404(pk), actor=request.user)
    messages.success(request, "Routing rule deleted.")
    return redirect("crm:routing")
