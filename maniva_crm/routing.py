"""Routing rules: who gets a new lead nobody holds yet. contact.triage calls lead_route from the
worker (settings.CONTACT_LEAD_ROUTER) after the message's intent is suggested; Managers keep the
rules on /crm/routing/.

Active rules are tried by position; a rule matches when each of its conditions (intent, form,
country, language) is blank or equal to the lead's. The first match picks the assignee: one
person, round-robin among Sales (a counter on the rule, advanced atomically, over Sales by
username), or the least busy of Sales (fewest open leads; equal counts go to the first username).
A rule that cannot pick anyone (nobody in Sales, its person gone or inactive) is passed over and
the next one tried. The assignment applies only while the lead is still unassigned, is audited
(action "route", with the rule) and notified to the assignee by mail and push.
"""
import logging

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.db import connection
from pymongo import ReturnDocument

from contact import selectors as contact_selectors
from contact import services as contact_services
from contact.models import Lead, Message
from maniva_crm.audit import audit_record
from maniva_crm.models import AuditAction, RoutingRule, RoutingStrategy
from maniva_crm.services import assignee_notify

logger = logging.getLogger(__name__)
SALES = "Sales"


def message_language(message: Message) -> str:
    """The primary language of the browser that sent the message ("pt-BR" → "pt"), or ""."""
    return message.locale.split(",")[0].split(";")[0].strip().split("-")[0].split("_")[0].lower()


def rule_matches(rule: RoutingRule, *, lead: Lead, message: Message) -> bool:
    wanted = {
        "intent": lead.intent or message.intent,
        "kind": message.kind,
        "country": (message.country or lead.country).upper(),
        "language": message_language(message),
    }
    return all(not getattr(rule, name) or getattr(rule, name) == value for name, value in wanted.items())


def sales_users() -> list[AbstractBaseUser]:
    """Active staff in Sales, by username (the order round-robin deals in); membership read join-free."""
    group = Group.objects.filter(name=SALES).first()
    if group is None:
        return []
    ids = list(get_user_model().groups.through.objects.filter(group_id=group.pk).values_list("user_id", flat=True))
    return list(get_user_model().objects.filter(pk__in=ids, is_active=True, is_staff=True).order_by("username"))


def _next_turn(rule: RoutingRule) -> int:
    """The rule's counter before this lead, advanced in one atomic update (two workers never deal the same turn)."""
    collection = connection.get_collection(RoutingRule._meta.db_table)
    doc = collection.find_one_and_update({"_id": rule.pk}, {"$inc": {"turns": 1}}, projection={"turns": 1},
                                         return_document=ReturnDocument.BEFORE)
    return int(doc["turns"]) if doc else 0


def rule_pick(rule: RoutingRule) -> AbstractBaseUser | None:
    if rule.strategy == RoutingStrategy.USER:
        user = rule.user
        return user if user is not None and user.is_active and user.is_staff else None
    candidates = sales_users()
    if not candidates:
        return None
    if rule.strategy == RoutingStrategy.ROUND_ROBIN:
        return candidates[_next_turn(rule) % len(candidates)]
    counts = contact_selectors.open_leads_per_assignee(user_ids=[u.pk for u in candidates])
    return min(candidates, key=lambda u: (counts[u.pk], u.get_username()))


def lead_route(*, lead: Lead, message: Message) -> AbstractBaseUser | None:
    """Assign an unassigned lead by the first matching rule; returns the assignee, or None."""
    for rule in RoutingRule.objects.filter(active=True).order_by("position", "pk"):
        if not rule_matches(rule, lead=lead, message=message):
            continue
        assignee = rule_pick(rule)
        if assignee is None:
            logger.warning("routing rule %r matched lead %s but found nobody to assign", rule.name, lead.pk)
            continue
        if not contact_services.lead_assignee_route(lead=lead, assignee=assignee):
            return None  # someone assigned it meanwhile
        entry = audit_record(
            action=AuditAction.ROUTE, actor=None, lead=lead,
            changes={"assignee": ("", assignee.get_username())},
            details={"rule": rule.name, "rule_id": str(rule.pk), "assignee_id": str(assignee.pk)},
        )
        lead.refresh_from_db()
        assignee_notify(lead=lead, assignee=assignee, key=str(entry.pk), by=f"Routing rule “{rule.name}”")
        return assignee
    return None
