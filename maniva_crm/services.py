"""Writes of the CRM. Each change is one single-document write followed by its audit entry,
so a crash between the two loses at most the entry, never half a change (transactions are a
no-op on this backend)."""
import logging
import threading
from datetime import timedelta
from email.utils import parseaddr

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

from analytics.intent import intent_labels
from analytics.services import person_forget
from contact import selectors as contact_selectors
from contact import services as contact_services
from contact.models import Lead, LeadStatus, OutboxJob
from contact.delivery import mail_message_id
from contact.outbox import email_enqueue, pushes_enqueue
from contact.replytoken import reply_address
from maniva_crm.audit import audit_record
from maniva_crm.models import AuditAction, AuditEntry, CannedReply, DashboardFigures, Note, RoutingRule
from maniva_crm.selectors.charts import WEEKS, dashboard_figures_compute, dashboard_figures_stored
from maniva_webapp.background import thread_start_alone

logger = logging.getLogger(__name__)
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


def lead_status_set(*, lead: Lead, status: str, actor: AbstractBaseUser) -> Lead:
    """Move a lead in the pipeline. Spam and not-spam also label its messages for the spam model."""
    if status not in LeadStatus.values:
        raise ValueError(f"unknown status {status!r}")
    if status == LeadStatus.SPAM:
        return lead_spam_mark(lead=lead, spam=True, actor=actor)
    if lead.status == status:
        return lead
    contact_services.lead_status_change(lead=lead, status=status, at=timezone.now())
    changes = {"status": (lead.status, status), **({"is_spam": (True, False)} if lead.is_spam else {})}
    audit_record(actor=actor, action=AuditAction.STATUS, lead=lead, changes=changes)
    lead.refresh_from_db()
    return lead


def lead_spam_mark(*, lead: Lead, spam: bool, actor: AbstractBaseUser) -> Lead:
    """Staff's verdict: labels every message of the lead ("spam"/"ham") as training data."""
    before = {"status": lead.status, "is_spam": lead.is_spam}
    contact_services.lead_spam_set(lead=lead, spam=spam)
    lead.refresh_from_db()
    changes = {name: (old, getattr(lead, name)) for name, old in before.items() if old != getattr(lead, name)}
    audit_record(actor=actor, action=AuditAction.SPAM if spam else AuditAction.HAM, lead=lead, changes=changes)
    return lead


def lead_note_add(*, lead: Lead, body: str, actor: AbstractBaseUser) -> Note:
    note = Note.objects.create(lead=lead, author=actor, body=body, created_at=timezone.now())
    audit_record(actor=actor, action=AuditAction.NOTE, lead=lead, details={"note_id": str(note.pk)})
    return note


def lead_tags_set(*, lead: Lead, tags: list[str], actor: AbstractBaseUser) -> Lead:
    clean = list(dict.fromkeys(t.strip().lower()[:40] for t in tags if t.strip()))[:20]
    if clean == lead.tags:
        return lead
    contact_services.lead_tags_set(lead=lead, tags=clean)
    audit_record(actor=actor, action=AuditAction.TAGS, lead=lead, changes={"tags": (lead.tags, clean)})
    lead.refresh_from_db()
    return lead


def lead_assign(*, lead: Lead, assignee: AbstractBaseUser | None, actor: AbstractBaseUser) -> Lead:
    """Give the lead to a staff member, who is told by email and by push on each subscribed browser."""
    if lead.assignee_id == (assignee.pk if assignee else None):
        return lead
    previous = lead.assignee.get_username() if lead.assignee_id else ""
    contact_services.lead_assignee_set(lead=lead, assignee=assignee)
    entry = audit_record(
        actor=actor,
        action=AuditAction.ASSIGN,
        lead=lead,
        changes={"assignee": (previous, assignee.get_username() if assignee else "")},
        details={"assignee_id": str(assignee.pk) if assignee else ""},
    )
    lead.refresh_from_db()
    if assignee is None or assignee == actor:
        return lead
    assignee_notify(lead=lead, assignee=assignee, key=str(entry.pk), by=actor.get_username())
    return lead


def assignee_notify(*, lead: Lead, assignee: AbstractBaseUser, key: str, by: str) -> None:
    """Tell the new assignee by email and by push on each subscribed browser; `key` (the audit
    entry's id) makes each notice once, `by` says who assigned (a person or a routing rule)."""
    url = f"{settings.SITE_URL}{lead.get_absolute_url()}"
    if assignee.email:
        email_enqueue(
            key=f"assign_email:{key}",
            to=[assignee.email],
            subject=f"Lead assigned to you: {lead.name}"[:200],
            template="maniva_crm/email/assigned",
            context={"lead_name": lead.name, "lead_url": url, "actor": by, "subject": lead.last_subject},
            lead=lead,
        )
    pushes_enqueue(
        subscriptions=contact_selectors.push_subscriptions_of(user=assignee),
        key=f"assign_push:{key}",
        title=f"Assigned to you: {lead.name}",
        body=lead.last_subject,
        url=url,
        lead=lead,
    )


def lead_intent_set(*, lead: Lead, intent: str, actor: AbstractBaseUser) -> Lead:
    """Staff's intent for a lead (a correction of the model's suggestion, or its confirmation): it
    sticks, labels the lead's messages for the intent model (which the worker retrains from), and is
    audited. Raises ValueError for an intent not on offer."""
    if intent not in intent_labels():
        raise ValueError(f"unknown intent {intent!r}")
    if lead.intent == intent and lead.intent_set_at is not None:
        return lead
    contact_services.lead_intent_set(lead=lead, intent=intent, at=timezone.now())
    changes = {"intent": (lead.intent, intent)} if lead.intent != intent else {}
    audit_record(actor=actor, action=AuditAction.INTENT, lead=lead, changes=changes,
                 details={} if changes else {"confirmed": intent})
    lead.refresh_from_db()
    return lead


RULE_FIELDS = ("name", "intent", "kind", "country", "language", "strategy", "user", "active")


def _rule_values(rule: RoutingRule) -> dict:
    return {name: (rule.user.get_username() if rule.user_id else "") if name == "user" else getattr(rule, name) for name in RULE_FIELDS}


def routing_rule_save(*, actor: AbstractBaseUser, rule: RoutingRule | None = None, **values) -> RoutingRule:
    """Add a rule (last in order) or change one; the form has validated `values` (RULE_FIELDS)."""
    before = _rule_values(rule) if rule is not None else {}
    if rule is None:
        last = RoutingRule.objects.order_by("-position").values_list("position", flat=True).first()
        rule = RoutingRule(position=(last or 0) + 1, created_at=timezone.now())
    for name in RULE_FIELDS:
        setattr(rule, name, values[name])
    rule.save()
    after = _rule_values(rule)
    changes = {name: (before.get(name, ""), value) for name, value in after.items() if before.get(name, "") != value}
    audit_record(actor=actor, action=AuditAction.ROUTING_RULE, changes=changes,
                 details={"rule": rule.name, "rule_id": str(rule.pk), **({} if before else {"created": True})})
    return rule


def routing_rule_delete(*, rule: RoutingRule, actor: AbstractBaseUser) -> None:
    details = {"rule": rule.name, "rule_id": str(rule.pk), "deleted": True}
    rule.delete()
    audit_record(actor=actor, action=AuditAction.ROUTING_RULE, details=details)


def routing_rule_move(*, rule: RoutingRule, up: bool, actor: AbstractBaseUser) -> None:
    """Swap the rule with its neighbour above (or below); positions are renumbered 1, 2, … first."""
    rules = list(RoutingRule.objects.order_by("position", "pk"))
    index = next(i for i, r in enumerate(rules) if r.pk == rule.pk)
    other = index - 1 if up else index + 1
    if not 0 <= other < len(rules):
        return
    rules[index], rules[other] = rules[other], rules[index]
    for position, item in enumerate(rules, start=1):
        if item.position != position:
            RoutingRule.objects.filter(pk=item.pk).update(position=position)
    audit_record(actor=actor, action=AuditAction.ROUTING_RULE, changes={"position": (index + 1, other + 1)},
                 details={"rule": rule.name, "rule_id": str(rule.pk)})


def lead_reply(*, lead: Lead, subject: str, body: str, actor: AbstractBaseUser) -> OutboxJob:
    """Email the visitor through the outbox and put the reply on the lead's conversation; marks the
    lead contacted. The mail comes from DEFAULT_FROM_EMAIL under the staff member's name, with a
    Message-ID made now (a retry resends it), threaded to the lead's latest mail, and Reply-To the
    lead's own reply address, so the answer comes back to this lead, not to one person's mailbox."""
    staff = actor.get_full_name() or actor.get_username()
    brand = parseaddr(settings.DEFAULT_FROM_EMAIL)[0]
    message_id = mail_message_id()
    in_reply_to, references = contact_selectors.lead_thread_headers(lead_id=lead.pk)
    now = timezone.now()
    record = contact_services.reply_record(
        lead=lead, sender_user=actor, subject=subject, body=body, mail_message_id=message_id, at=now,
        in_reply_to=in_reply_to, references=references,
    )
    job = email_enqueue(
        key=f"reply:{record.pk}",
        to=[lead.email],
        subject=subject,
        template="maniva_crm/email/reply",
        context={"name": lead.name, "body": body, "staff": staff},
        reply_to=[reply_address(lead_id=lead.pk)],
        message_id=message_id,
        in_reply_to=in_reply_to,
        references=references,
        from_name=f"{staff} ({brand})" if brand else staff,
        lead=lead,
    )
    contact_services.lead_contacted(lead=lead, at=now)
    audit_record(
        actor=actor, action=AuditAction.REPLY, lead=lead,
        details={"job_id": str(job.pk), "subject": subject, "message_id": str(record.pk)},
    )
    lead.refresh_from_db()
    return job


class BulkAction(models.TextChoices):
    STATUS = "status", "Set the status"
    ASSIGN = "assign", "Assign"
    TAG = "tag", "Add a tag"
    SPAM = "spam", "Mark as spam"
    HAM = "ham", "Mark as not spam"


def leads_bulk(*, lead_ids: list[str], action: str, value: str, actor: AbstractBaseUser, assignee: AbstractBaseUser | None = None) -> int:
    """Apply one action to several leads, one audited write per lead."""
    if action not in BulkAction.values:
        raise ValueError(f"unknown bulk action {action!r}")
    count = 0
    for lead in contact_selectors.leads_get(ids=lead_ids[:500]).values():
        if action == BulkAction.STATUS:
            lead_status_set(lead=lead, status=value, actor=actor)
        elif action == BulkAction.ASSIGN:
            lead_assign(lead=lead, assignee=assignee, actor=actor)
        elif action == BulkAction.TAG:
            lead_tags_set(lead=lead, tags=[*lead.tags, value], actor=actor)
        else:
            lead_spam_mark(lead=lead, spam=action == BulkAction.SPAM, actor=actor)
        count += 1
    return count


MERGE = "maniva_crm.erase_person"  # Managers: a merge deletes a lead, as an erasure does (no permission of its own without a maniva_crm migration)


def _related_move(from_lead_id, to_lead_id) -> None:
    """The CRM's records of a lead (notes, timeline) go to the lead it is merged into."""
    Note.objects.filter(lead_id=from_lead_id).update(lead_id=to_lead_id)
    AuditEntry.objects.filter(lead_id=from_lead_id).update(lead_id=to_lead_id)


def lead_merge(*, survivor: Lead, merged_id: str, actor: AbstractBaseUser) -> contact_services.MergeResult:
    """Merge a duplicate lead into `survivor` (contact_services.leads_merge), with its notes and
    timeline, and record it once on the survivor's timeline. Safe to run again after a crash:
    each step is idempotent, and the audit entry is written once per merged lead."""
    merged_email = getattr(contact_selectors.lead_get(pk=str(merged_id)), "email", "")
    result = contact_services.leads_merge(survivor_id=survivor.pk, merged_id=merged_id, move_related=_related_move)
    _related_move(merged_id, survivor.pk)  # a note written on the merged lead while it went
    done = AuditEntry.objects.filter(lead_id=survivor.pk, action=AuditAction.MERGE)
    if not any(entry.data.get("merged_id") == str(merged_id) for entry in done):
        audit_record(
            actor=actor, action=AuditAction.MERGE, lead=survivor,
            details={"merged_id": str(merged_id), "merged_email": merged_email or result.merged_email,
                     "messages": result.messages, "outbox": result.outbox},
        )
    survivor.refresh_from_db()
    return result


def person_export_record(*, lead: Lead, actor: AbstractBaseUser) -> None:
    audit_record(actor=actor, action=AuditAction.EXPORT_PERSON, lead=lead)


def leads_export_record(*, actor: AbstractBaseUser, filters: dict) -> None:
    audit_record(actor=actor, action=AuditAction.EXPORT_CSV, details={"filters": filters})


def person_erase(*, lead: Lead, actor: AbstractBaseUser) -> dict[str, int]:
    """GDPR erasure: the person's messages, notes, timeline, outbox entries, rate-limit counters and
    analytics traces go; one audit entry without personal data stays."""
    message_keys = [str(pk) for pk in contact_selectors.message_ids_of(lead_id=lead.pk)]
    notes = Note.objects.filter(lead_id=lead.pk).delete()[0]
    timeline = AuditEntry.objects.filter(lead_id=lead.pk).delete()[0]
    analytics = person_forget(message_ids=message_keys, email=lead.email)  # reads the messages: before they go
    forgotten = contact_services.person_forget(email=lead.email)
    counts = {
        "messages": forgotten["messages"],
        "notes": notes,
        "timeline": timeline,
        "outbox": forgotten["outbox"],
        "rate_limits": forgotten["rate_limits"],
        "analytics": analytics,
    }
    lead_id = str(lead.pk)
    audit_record(actor=actor, action=AuditAction.ERASE, details={"lead_id": lead_id, **counts})
    return counts




def staff_role_set(*, user: AbstractBaseUser, role: str, actor: AbstractBaseUser) -> None:
    """Give a staff account exactly one CRM role ("" removes both)."""
    groups = list(Group.objects.filter(name__in=ROLE_PERMISSIONS))
    held = set(user.groups.through.objects.filter(user_id=user.pk).values_list("group_id", flat=True))  # join-free
    previous = ", ".join(sorted(group.name for group in groups if group.pk in held))
    for group in groups:
        user.groups.remove(group)
    if role:
        user.groups.add(Group.objects.get(name=role))
    if role and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    audit_record(actor=actor, action=AuditAction.STAFF, changes={"role": (previous, role)}, details={"user": user.get_username()})


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
    audit_record(actor=actor, action=AuditAction.STAFF, changes={"role": ("", role)}, details={"user": username, "created": True})
    return user


def canned_reply_save(*, title: str, language: str, body: str, reply: CannedReply | None = None) -> CannedReply:
    """Create a canned reply, or change `reply`; the form has checked that title and language are free."""
    reply = reply or CannedReply()
    reply.title, reply.language, reply.body, reply.updated_at = title, language, body, timezone.now()
    reply.save()
    return reply


def canned_reply_delete(*, reply: CannedReply) -> None:
    reply.delete()


DASHBOARD_REFRESH = timedelta(minutes=5)
_dashboard_refreshing = threading.Lock()


def dashboard_figures_refresh(*, weeks: int = WEEKS) -> DashboardFigures:
    """Compute the dashboard's figures and keep them as the one stored copy (the older ones go)."""
    stored = DashboardFigures.objects.create(computed_at=timezone.now(), weeks=weeks, figures=dashboard_figures_compute(weeks=weeks))
    DashboardFigures.objects.filter(computed_at__lt=stored.computed_at).delete()
    return stored


def dashboard_refresh_when_due() -> threading.Thread | None:
    """The worker's hook: when the stored figures are DASHBOARD_REFRESH old (or missing), compute
    them again in a thread of its own, so deliveries go on; one at a time in a process."""
    try:
        stored = dashboard_figures_stored()
    except Exception:
        logger.exception("cannot read the dashboard's figures")
        return None
    if stored is not None and timezone.now() - stored.computed_at < DASHBOARD_REFRESH:
        return None
    return thread_start_alone(_dashboard_refreshing, dashboard_figures_refresh, name="dashboard-refresh")
