"""Triage of new form messages: their intent, then the routing of unassigned leads.

The intent is suggested at intake when the web process holds a model (intent_at_hand: a prediction
in memory, stored with the message and its lead's upsert, no write of its own); otherwise, and
always for the routing, in the worker: the staff notification's job runs it before it sends, so
the mail names both, and the worker's batch triages all its new messages at once (one pass of the
model, one commit). Contact owns the writes; what decides them sits behind two settings, as the
spam scorer does: CONTACT_INTENT_SCORER (analytics: an object with `.suggest_many(texts)`,
`.suggest_at_hand(text)` and `.refresh()`) and CONTACT_LEAD_ROUTER (maniva_crm's routing rules: a
function `(*, lead, message)` that assigns through contact.services.lead_assignee_route and returns
the assignee, or None). Idempotent: a job retried after triage finds it done."""
import logging

from django.conf import settings
from django.db import DatabaseError
from django.utils.module_loading import import_string
from pymongo.errors import PyMongoError

from contact.leads import IntentSuggestion, intents_suggest
from contact.models import Direction, Lead, Message

logger = logging.getLogger(__name__)


def message_text(message: Message) -> str:
    """What the intent model reads of a message (the same join as its training data)."""
    return intent_text(subject=message.subject, message=message.message)


def intent_text(*, subject: str, message: str) -> str:
    return f"{subject}\n{message}"


def intent_at_hand(*, subject: str, message: str) -> tuple[str, float] | None:
    """(intent, probability) for a form message on the request path, from the model the web process
    holds (no database read, no training), or None: the worker's triage suggests it then."""
    try:
        return import_string(settings.CONTACT_INTENT_SCORER).suggest_at_hand(intent_text(subject=subject, message=message))
    except Exception:
        logger.exception("intent model failed at intake: the worker suggests the intent")
        return None


def message_triage(*, message: Message) -> Lead | None:
    """messages_triage of one message: its lead as it stands afterwards, or None when not triaged."""
    return messages_triage(messages=[message]).get(message.pk)


def messages_triage(*, messages: list[Message]) -> dict:
    """Suggest each message's intent (once), then route each lead nobody holds; returns the leads
    as they stand afterwards, by message pk (form messages from visitors only). A failing model or
    router is logged and skipped, so the staff mail still goes; database errors propagate, for the
    job to be retried."""
    triaged = [m for m in messages if m.lead_id is not None and not m.is_spam and m.direction == Direction.IN]
    if not triaged:
        return {}
    _intent_model_refresh()
    _intents_suggest([m for m in triaged if not m.intent])
    leads = Lead.objects.in_bulk({m.lead_id for m in triaged})
    routed = set()
    for message in triaged:
        lead = leads.get(message.lead_id)
        if lead is None or lead.pk in routed or lead.assignee_id is not None or lead.is_spam:
            continue
        routed.add(lead.pk)
        if _route(lead=lead, message=message) is not None:
            leads[lead.pk] = Lead.objects.get(pk=lead.pk)
    return {m.pk: leads[m.lead_id] for m in triaged if m.lead_id in leads}


def _intent_model_refresh() -> None:
    """Retrain after staff corrections even when every message came with its intent from the intake."""
    try:
        import_string(settings.CONTACT_INTENT_SCORER).refresh()
    except (DatabaseError, PyMongoError):
        raise
    except Exception:
        logger.exception("intent model could not be refreshed")


def _intents_suggest(messages: list[Message]) -> None:
    if not messages:
        return
    try:
        suggestions = import_string(settings.CONTACT_INTENT_SCORER).suggest_many([message_text(m) for m in messages])
    except (DatabaseError, PyMongoError):
        raise
    except Exception:
        logger.exception("intent model failed on messages %s: no intent suggested", [m.pk for m in messages])
        return
    made = []
    for message, suggestion in zip(messages, suggestions, strict=True):
        if suggestion is not None:
            made.append(IntentSuggestion(message_id=message.pk, lead_id=message.lead_id, intent=suggestion[0], score=suggestion[1]))
            message.intent, message.intent_score = suggestion
    intents_suggest(suggestions=made)


def _route(*, lead: Lead, message: Message):
    try:
        return import_string(settings.CONTACT_LEAD_ROUTER)(lead=lead, message=message)
    except (DatabaseError, PyMongoError):
        raise
    except Exception:
        logger.exception("routing failed for lead %s: left unassigned", lead.pk)
        return None
