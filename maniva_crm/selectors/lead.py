"""A lead's page: the lead, its messages, and its timeline of messages, notes and staff actions."""
from dataclasses import dataclass
from datetime import datetime

from bson import ObjectId
from django.conf import settings

from contact.models import Direction, Lead, OutboxStatus
from contact.selectors import lead_attachment_get, lead_duplicates, lead_get, lead_merged_into, messages_of, outbox_statuses
from maniva_crm.audit import audit_entry_text
from maniva_crm.models import AuditAction, AuditEntry, Note

__all__ = [
    "TimelineItem", "lead_attachment_get", "lead_conversation", "lead_duplicates", "lead_get", "lead_merged_into", "lead_timeline",
    "messages_of",
]


@dataclass
class TimelineItem:
    at: datetime
    kind: str  # "message", "note" or an AuditAction value
    actor: str
    text: str
    obj: object | None = None
    state: str = ""  # a reply's delivery, as far as the outbox knows it
    pk: ObjectId | None = None  # the record's id: orders items stored within one millisecond


def _reply_state(status: str | None) -> str:
    if status == OutboxStatus.DONE:
        return "sent" if settings.EMAIL_HOST else "caught, not sent (no EMAIL_HOST)"
    if status == OutboxStatus.DEAD:
        return "could not be sent"
    if status == OutboxStatus.PENDING:
        return "not sent yet"
    return ""


def lead_conversation(*, lead: Lead) -> list:
    """One conversation: the visitor's form messages, inbound mail and staff replies, oldest first
    (ties by id, so two stored in one millisecond keep their order)."""
    return messages_of(lead_id=lead.pk, oldest_first=True)


def lead_timeline(*, lead: Lead) -> list[TimelineItem]:
    """Messages received, notes and staff actions on one lead, newest first."""
    # Staff replies are on the timeline through their audit entries ("queued a reply"), once.
    items = [TimelineItem(at=m.received_at, kind="message", actor=m.name, text=m.subject, obj=m, pk=m.pk)
             for m in messages_of(lead_id=lead.pk, fields=("received_at", "name", "subject", "kind", "direction"))
             if m.direction != Direction.OUT]
    notes = {str(n.pk): n for n in Note.objects.filter(lead_id=lead.pk)}
    entries = list(AuditEntry.objects.filter(lead_id=lead.pk))
    replies = outbox_statuses(ids=[e.data["job_id"] for e in entries if e.action == AuditAction.REPLY and e.data.get("job_id")])
    for entry in entries:
        note = notes.get(entry.data.get("note_id", "")) if entry.action == AuditAction.NOTE else None
        state = _reply_state(replies.get(entry.data.get("job_id", ""))) if entry.action == AuditAction.REPLY else ""
        items.append(TimelineItem(at=entry.created_at, kind=entry.action, actor=entry.actor_name,
                                  text=audit_entry_text(entry), obj=note, state=state, pk=entry.pk))
    return sorted(items, key=lambda item: (item.at, item.pk), reverse=True)
