"""Writes of the CRM. Each change is one single-document write followed by its audit entry,
so a crash between the two loses at most the entry, never half a change (transactions are a
no-op on this backend)."""
import re
import uuid
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils import timezone

from analytics.services import person_forget
from contact import ratelimit
from contact.models import Lead, LeadStatus, Message, OutboxJob, PushSubscription
from contact.outbox import job_enqueue
from maniva_crm.models import AuditAction, AuditEntry, Note

SALES = "Sales"
MANAGERS = "Managers"
ROLE_PERMISSIONS = {
    SALES: ["work_leads"],
    MANAGERS: ["work_leads", "export_leads", "erase_person", "manage_staff", "view_auditentry"],
}
PIPELINE = [LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.QUALIFIED, LeadStatus.PROPOSAL, LeadStatus.WON, LeadStatus.LOST]


def roles_ensure() -> None:
    """Create the Sales and Managers groups with their permissions (idempotent)."""
    content_type, _ = ContentType.objects.get_or_create(app_label="maniva_crm", model="auditentry")
    names = dict(AuditEntry._meta.permissions) | {"view_auditentry": "Can view audit entry"}
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        for codename in codenames:
            permission, _ = Permission.objects.get_or_create(
                content_type=content_type, codename=codename, defaults={"name": names[codename]}
            )
            group.permissions.add(permission)


def audit_record(*, actor: AbstractBaseUser | None, action: str, lead: Lead | None = None, data: dict | None = None) -> AuditEntry:
    name = actor.get_username() if actor else ""
    return AuditEntry.objects.create(
        lead=lead, actor=actor, actor_name=name, action=action, data=data or {}, created_at=timezone.now()
    )


def _contacted(lead: Lead, now: datetime) -> dict:
    return {"first_contacted_at": now} if lead.first_contacted_at is None else {}


def lead_status_set(*, lead: Lead, status: str, actor: AbstractBaseUser) -> Lead:
    """Move a lead in the pipeline. Spam and not-spam also label its messages for the spam model."""
    if status not in LeadStatus.values:
        raise ValueError(f"unknown status {status!r}")
    if status == LeadStatus.SPAM:
        return lead_spam_mark(lead=lead, spam=True, actor=actor)
    if lead.status == status:
        return lead
    now = timezone.now()
    changes = {"status": status}
    if status != LeadStatus.NEW:
        changes.update(_contacted(lead, now))
    if lead.is_spam:
        changes["is_spam"] = False
        Message.objects.filter(lead_id=lead.pk).update(spam_label="ham")
    Lead.objects.filter(pk=lead.pk).update(**changes)
    audit_record(actor=actor, action=AuditAction.STATUS, lead=lead, data={"from": lead.status, "to": status})
    lead.refresh_from_db()
    return lead


def lead_spam_mark(*, lead: Lead, spam: bool, actor: AbstractBaseUser) -> Lead:
    """Staff's verdict: labels every message of the lead ("spam"/"ham") as training data."""
    Message.objects.filter(lead_id=lead.pk).update(spam_label="spam" if spam else "ham")
    if spam:
        changes = {"is_spam": True, "status": LeadStatus.SPAM}
    else:
        changes = {"is_spam": False, "status": LeadStatus.NEW if lead.status == LeadStatus.SPAM else lead.status}
    Lead.objects.filter(pk=lead.pk).update(**changes)
    audit_record(actor=actor, action=AuditAction.SPAM if spam else AuditAction.HAM, lead=lead, data={"from": lead.status})
    lead.refresh_from_db()
    return lead


def lead_note_add(*, lead: Lead, body: str, actor: AbstractBaseUser) -> Note:
    note = Note.objects.create(lead=lead, author=actor, body=body, created_at=timezone.now())
    audit_record(actor=actor, action=AuditAction.NOTE, lead=lead, data={"note_id": str(note.pk)})
    return note


def lead_tags_set(*, lead: Lead, tags: list[str], actor: AbstractBaseUser) -> Lead:
    clean = list(dict.fromkeys(t.strip().lower()[:40] for t in tags if t.strip()))[:20]
    if clean == lead.tags:
        return lead
    Lead.objects.filter(pk=lead.pk).update(tags=clean)
    audit_record(actor=actor, action=AuditAction.TAGS, lead=lead, data={"from": lead.tags, "to": clean})
    lead.refresh_from_db()
    return lead


def lead_assign(*, lead: Lead, assignee: AbstractBaseUser | None, actor: AbstractBaseUser) -> Lead:
    """Give the lead to a staff member, who is told by email and by push on each subscribed browser."""
    if lead.assignee_id == (assignee.pk if assignee else None):
        return lead
    Lead.objects.filter(pk=lead.pk).update(assignee=assignee)
    entry = audit_record(
        actor=actor,
        action=AuditAction.ASSIGN,
        lead=lead,
        data={"to": assignee.get_username() if assignee else "", "to_id": str(assignee.pk) if assignee else ""},
    )
    lead.refresh_from_db()
    if assignee is None or assignee == actor:
        return lead
    url = f"{settings.SITE_URL}{lead.get_absolute_url()}"
    if assignee.email:
        job_enqueue(
            kind="email",
            key=f"assign_email:{entry.pk}",
            payload={
                "to": [assignee.email],
                "subject": f"Lead assigned to you: {lead.name}"[:200],
                "template": "maniva_crm/email/assigned",
                "context": {"lead_name": lead.name, "lead_url": url, "actor": actor.get_username(), "subject": lead.last_subject},
            },
            lead=lead,
        )
    for subscription in PushSubscription.objects.filter(user=assignee):
        job_enqueue(
            kind="push",
            key=f"assign_push:{entry.pk}:{subscription.pk}",
            payload={"subscription_id": str(subscription.pk), "title": f"Assigned to you: {lead.name}"[:120], "body": lead.last_subject[:200], "url": url},
            lead=lead,
        )
    return lead


def lead_reply(*, lead: Lead, subject: str, body: str, actor: AbstractBaseUser) -> OutboxJob:
    """Email the visitor through the outbox, with Reply-To the staff member; marks the lead contacted."""
    reply_to = [actor.email] if actor.email else None
    job = job_enqueue(
        kind="email",
        key=f"reply:{lead.pk}:{uuid.uuid4().hex}",
        payload={
            "to": [lead.email],
            "subject": subject,
            "template": "maniva_crm/email/reply",
            "context": {"name": lead.name, "body": body, "staff": actor.get_full_name() or actor.get_username()},
            "reply_to": reply_to,
        },
        lead=lead,
    )
    now = timezone.now()
    changes = _contacted(lead, now)
    if lead.status == LeadStatus.NEW:
        changes["status"] = LeadStatus.CONTACTED
    if changes:
        Lead.objects.filter(pk=lead.pk).update(**changes)
    audit_record(actor=actor, action=AuditAction.REPLY, lead=lead, data={"job_id": str(job.pk), "subject": subject})
    lead.refresh_from_db()
    return job


BULK_ACTIONS = {"status", "assign", "tag", "spam", "ham"}


def leads_bulk(*, lead_ids: list[str], action: str, value: str, actor: AbstractBaseUser, assignee: AbstractBaseUser | None = None) -> int:
    """Apply one action to several leads, one audited write per lead."""
    if action not in BULK_ACTIONS:
        raise ValueError(f"unknown bulk action {action!r}")
    count = 0
    for lead in Lead.objects.filter(pk__in=lead_ids[:500]):
        if action == "status":
            lead_status_set(lead=lead, status=value, actor=actor)
        elif action == "assign":
            lead_assign(lead=lead, assignee=assignee, actor=actor)
        elif action == "tag":
            lead_tags_set(lead=lead, tags=[*lead.tags, value], actor=actor)
        else:
            lead_spam_mark(lead=lead, spam=action == "spam", actor=actor)
        count += 1
    return count


def person_export_record(*, lead: Lead, actor: AbstractBaseUser) -> None:
    audit_record(actor=actor, action=AuditAction.EXPORT_PERSON, lead=lead)


def leads_export_record(*, actor: AbstractBaseUser, filters: dict) -> None:
    audit_record(actor=actor, action=AuditAction.EXPORT_CSV, data={"filters": filters})


def person_erase(*, lead: Lead, actor: AbstractBaseUser) -> dict[str, int]:
    """GDPR erasure: the person's messages, notes, timeline, outbox entries, rate-limit counters and
    analytics traces go; one audit entry without personal data stays."""
    message_ids = list(Message.objects.filter(lead_id=lead.pk).values_list("pk", flat=True))
    message_keys = [str(pk) for pk in message_ids]
    counts = {
        "messages": len(message_ids),
        "notes": Note.objects.filter(lead_id=lead.pk).delete()[0],
        "timeline": AuditEntry.objects.filter(lead_id=lead.pk).delete()[0],
        "outbox": OutboxJob.objects.filter(lead_id=lead.pk).delete()[0]
        + OutboxJob.objects.filter(payload__message_id__in=message_keys).delete()[0],
    }
    ratelimits = connection.get_collection(ratelimit.COLLECTION)
    counts["rate_limits"] = ratelimits.delete_many({"_id": {"$regex": f"^email:{re.escape(lead.email)}:"}}).deleted_count
    counts["analytics"] = person_forget(message_ids=message_keys, email=lead.email)
    Message.objects.filter(lead_id=lead.pk).delete()
    lead_id = str(lead.pk)
    Lead.objects.filter(pk=lead.pk).delete()
    audit_record(actor=actor, action=AuditAction.ERASE, data={"lead_id": lead_id, **counts})
    return counts


def push_subscription_save(*, user: AbstractBaseUser, endpoint: str, p256dh: str, auth: str, user_agent: str = "") -> PushSubscription:
    """Store this browser's subscription for the user (an endpoint belongs to one user at a time)."""
    subscription, _ = PushSubscription.objects.update_or_create(
        endpoint=endpoint,
        defaults={"user": user, "p256dh": p256dh, "auth": auth, "user_agent": user_agent[:400], "created_at": timezone.now()},
    )
    return subscription


def push_subscription_delete(*, user: AbstractBaseUser, endpoint: str) -> int:
    return PushSubscription.objects.filter(user=user, endpoint=endpoint).delete()[0]


def staff_role_set(*, user: AbstractBaseUser, role: str, actor: AbstractBaseUser) -> None:
    """Give a staff account exactly one CRM role ("" removes both)."""
    groups = Group.objects.filter(name__in=ROLE_PERMISSIONS)
    for group in groups:
        user.groups.remove(group)
    if role:
        user.groups.add(Group.objects.get(name=role))
    if role and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    audit_record(actor=actor, action=AuditAction.STAFF, data={"user": user.get_username(), "role": role})


def staff_create(
    *, username: str, email: str, role: str, password: str, actor: AbstractBaseUser, first_name: str = "", last_name: str = ""
) -> AbstractBaseUser:
    """A new staff account with one CRM role and an initial password (the form has run Django's
    password validators). Three writes, each safe alone: a crash after the first leaves a staff
    account without a role, which the CRM refuses until a Manager sets one on the same page."""
    if role not in ROLE_PERMISSIONS:
        raise ValueError(f"unknown role {role!r}")
    user = get_user_model().objects.create_user(
        username=username, email=email, password=password, first_name=first_name, last_name=last_name, is_staff=True
    )
    user.groups.add(Group.objects.get(name=role))
    audit_record(actor=actor, action=AuditAction.STAFF, data={"user": username, "role": role, "created": True})
    return user
