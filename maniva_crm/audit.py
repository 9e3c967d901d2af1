"""The audit trail: one writer, one shape.

An entry's `data` holds what changed under "changes", one `{"from": old, "to": new}` per field
(as Zulip's audit log keeps OLD_VALUE/NEW_VALUE), and beside it the details that are not changes
(the note or outbox job it refers to, a reply's subject, an export's filters, an erasure's counts).
Entries written before this shape keep rendering: AuditEntry.changes reads both.
"""
from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from contact.models import Lead
from maniva_crm.models import AuditAction, AuditEntry


def audit_record(
    *,
    action: AuditAction,
    actor: AbstractBaseUser | None,
    lead: Lead | None = None,
    changes: Mapping[str, tuple[Any, Any]] | None = None,
    details: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Record one staff action; `changes` maps a field to its (old, new) values (JSON values only)."""
    if action not in AuditAction.values:
        raise ValueError(f"unknown audit action {action!r}")
    data = dict(details or {})
    if "changes" in data:
        raise ValueError("'changes' is not a detail: pass it as changes=")
    if changes:
        data["changes"] = {name: {"from": old, "to": new} for name, (old, new) in changes.items()}
    return AuditEntry.objects.create(
        lead=lead,
        actor=actor,
        actor_name=actor.get_username() if actor else "",
        action=action,
        data=data,
        created_at=timezone.now(),
    )


def audit_entry_text(entry: AuditEntry) -> str:
    """The short text a lead's timeline shows after the action's words."""
    changes = entry.changes
    if entry.action == AuditAction.STATUS and "status" in changes:
        return f"{changes['status']['from'] or ''} → {changes['status']['to'] or ''}"
    if entry.action == AuditAction.ASSIGN and "assignee" in changes:
        return f"to {changes['assignee']['to'] or 'nobody'}"
    if entry.action == AuditAction.TAGS and "tags" in changes:
        return ", ".join(changes["tags"]["to"] or []) or "no tags"
    if entry.action == AuditAction.ROUTE and "assignee" in changes:
        return f"to {changes['assignee']['to'] or 'nobody'} (rule “{entry.data.get('rule', '')}”)"
    if entry.action == AuditAction.INTENT:
        return f"{changes['intent']['from'] or 'none'} → {changes['intent']['to']}" if "intent" in changes else f"{entry.data.get('confirmed', '')} (confirmed)"
    if entry.action == AuditAction.REPLY:
        return entry.data.get("subject", "")
    if entry.action == AuditAction.MERGE:
        return entry.data.get("merged_email", "")
    return ""
