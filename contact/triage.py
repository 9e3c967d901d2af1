"""Triage of a new form message, in the worker (never on the request path): its intent, then the
routing of an unassigned lead. The staff notification's job runs it before it sends, so the mail
names both. Contact owns the writes; what decides them sits behind two settings, as the spam scorer
does: CONTACT_INTENT_SCORER (analytics: an object with `.suggest(text)`) and CONTACT_LEAD_ROUTER
(maniva_crm's routing rules: a function `(*, lead, message)` that assigns through
contact.services.lead_assignee_route and returns the assignee, or None). Idempotent: a job retried after triage finds it done."""
import logging

from django.conf import settings
from django.db import DatabaseError
from django.utils.module_loading import import_string
from pymongo.errors import PyMongoError

from contact.leads import intent_suggest
from contact.models import Direction, Lead, Message

logger = logging.getLogger(__name__)


def message_text(message: Message) -> str:
    """What the intent model reads of a message (the same join as its training data)."""
    return f"{message.subject}\n{message.message}"


def message_triage(*, message: Message) -> Lead | None:
    """Suggest the message's intent (once), then route its lead if nobody holds it; returns the
    lead as it stands afterwards. A failing model or router is logged and skipped, so the staff mail
    still goes; database errors propagate, for the job to be retried."""
    if message.lead_id is None or message.is_spam or message.direction != Direction.IN:
        return None
    if not message.intent:
        try:
            suggestion = import_string(settings.CONTACT_INTENT_SCORER).suggest(message_text(message))
        except (DatabaseError, PyMongoError):
            raise
        except Exception:
            logger.exception("intent model failed on message %s: no intent suggested", message.pk)
            suggestion = None
        if suggestion is not None:
            intent_suggest(message_id=message.pk, lead_id=message.lead_id, intent=suggestion[0], score=suggestion[1])
            message.intent, message.intent_score = suggestion
    lead = Lead.objects.get(pk=message.lead_id)
    if lead.assignee_id is None and not lead.is_spam:
        try:
            assignee = import_string(settings.CONTACT_LEAD_ROUTER)(lead=lead, message=message)
        except (DatabaseError, PyMongoError):
            raise
        except Exception:
            logger.exception("routing failed for lead %s: left unassigned", lead.pk)
            assignee = None
        if assignee is not None:
            lead = Lead.objects.get(pk=message.lead_id)
    return lead
