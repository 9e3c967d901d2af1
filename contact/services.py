"""Writes of the intake: one submission in, a lead and a message stored, deliveries enqueued."""
import logging
from dataclasses import dataclass
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from email.utils import parseaddr

from bson import ObjectId
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import DatabaseError, IntegrityError
from django.utils import timezone
from pymongo.errors import PyMongoError

from contact import ratelimit
from contact.meta import RequestMeta
from contact.models import Direction, FormKind, Lead, LeadStatus, Message, PushSubscription, SpamLabel
from contact.leads import (  # the lead store; demo data is written through it as well
    INTAKE_FIELDS,
    lead_assign_unassigned,
    lead_awaiting_set,
    lead_document,
    lead_email_taken,
    lead_intake,
    lead_merge_begin,
    lead_merge_refresh,
    lead_merged_delete,
    lead_update,
    leads_insert_many,
    mail_file_ids_of,
    message_document,
    message_fields,
    message_ids_of,
    message_insert,
    messages_insert_many,
    messages_intent_label,
    messages_label,
    messages_mark_enqueued,
    messages_move,
    person_delete,
    spam_changes,
)
from contact.inbound import InboundResult, MailRefused, inbound_notify, mail_files_delete, mail_receive
from contact.outbox import jobs_forget, jobs_move, message_emails_enqueue, outbox_keys_stored
from contact.search import search_terms
from contact.spam import SpamVerdict, spam_verdict
from contact.spool import spool_append
from contact.triage import intent_at_hand

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SubmitResult:
    message: Message | None
    spooled: bool = False
    duplicate: bool = False


def _database_unreachable(exc: Exception) -> bool:
    from pymongo.errors import AutoReconnect, ConnectionFailure, ServerSelectionTimeoutError

    unreachable = (AutoReconnect, ConnectionFailure, ServerSelectionTimeoutError)
    return isinstance(exc, unreachable) or isinstance(exc.__cause__, unreachable)


def rate_limits_check(*, meta: RequestMeta, email: str, token: str, at: datetime | None = None, local: bool = False) -> None:
    """Raise ratelimit.RateLimited when this IP or this email has sent too much lately.

    `token` is the form's idempotency key: the same form posted again counts once. `local` counts
    in this process's memory, for while MongoDB is unreachable."""
    counters = [
        ratelimit.Counter(scope, key, *settings.CONTACT_RATE_LIMITS[scope]) for scope, key in (("ip", meta.ip), ("email", email)) if key
    ]
    if not local:
        ratelimit.hits(counters=counters, token=token, at=at)
        return
    for counter in counters:
        ratelimit.hit_local(scope=counter.scope, key=counter.key, limit=counter.limit, window=counter.window, token=token)


def deliveries_enqueue(*, message: Message) -> None:
    """Staff email and visitor confirmation (the staff email's job pushes to each staff device);
    none for spam. The message keeps deliveries_enqueued false: deliveries_sweep marks it."""
    if message.is_spam:
        return
    message_emails_enqueue(message=message, lead_id=message.lead_id)


def message_store(
    *, kind: str, submission: dict, meta: RequestMeta, verdict: SpamVerdict, idempotency_key: str, received_at: datetime,
    intent: tuple[str, float] | None = None,
) -> SubmitResult:
    """Store one accepted submission (idempotent by key), then enqueue its deliveries.

    Three writes: the lead (created or refreshed, the message counted on it once per key: one
    upsert, see lead_intake), the message (durable before anything is enqueued), its two outbox
    jobs in one insert. An `intent` suggested at intake (contact.triage.intent_at_hand) rides on the
    lead's upsert and the message's insert: the worker then has no intent to write."""
    fields = message_fields(submission)
    known = {**submission, "country": meta.country}
    terms = search_terms(submission["name"], submission["email"], submission.get("company", ""), submission["subject"], submission["message"])
    lead_id = lead_intake(
        email=submission["email"],
        values={field.name: known.get(field.name, "") for field in INTAKE_FIELDS},
        received_at=received_at,
        spam=verdict.is_spam,
        kind=kind,
        terms=terms,
        subject=submission["subject"],
        key=idempotency_key,
        review=verdict.review,
        intent=intent[0] if intent else "",
    )
    try:
        message = message_insert(
            lead_id=lead_id,
            kind=kind,
            received_at=received_at,
            ip=meta.ip,
            user_agent=meta.user_agent,
            referrer=meta.referrer,
            page=meta.page,
            locale=meta.locale,
            country=meta.country,
            utm=meta.utm,
            is_spam=verdict.is_spam,
            spam_score=verdict.score,
            spam_reasons=verdict.reasons,
            spam_review=verdict.review,
            idempotency_key=idempotency_key,
            search_terms=terms,
            **({"intent": intent[0], "intent_score": intent[1]} if intent else {}),
            **fields,
        )
    except IntegrityError:  # the same form posted twice at once: the other request stored it
        return SubmitResult(message=Message.objects.get(idempotency_key=idempotency_key), duplicate=True)
    deliveries_enqueue(message=message)
    return SubmitResult(message=message)


def message_submit(*, kind: str = FormKind.CONTACT, submission: dict, meta: RequestMeta, honeypot: str = "", form_ts: str = "", idempotency_key: str) -> SubmitResult:
    """The public form's one write: judge, store, enqueue. Spools to disk if MongoDB is down.

    Raises ratelimit.RateLimited when the sender is over a limit (nothing is stored then), and
    spool.SpoolFull when the database is down and the spool is full.
    """
    received_at = timezone.now()
    verdict = spam_verdict(submission=submission, honeypot=honeypot, form_ts=form_ts)
    try:
        rate_limits_check(meta=meta, email=submission["email"], token=idempotency_key)
        intent = None if verdict.is_spam else intent_at_hand(subject=submission["subject"], message=submission["message"])
        return message_store(
            kind=kind, submission=submission, meta=meta, verdict=verdict, idempotency_key=idempotency_key, received_at=received_at,
            intent=intent,
        )
    except (DatabaseError, PyMongoError) as exc:
        if not _database_unreachable(exc):
            raise
        logger.warning("MongoDB unreachable, spooling submission %s: %s", idempotency_key, exc)
        rate_limits_check(meta=meta, email=submission["email"], token=idempotency_key, local=True)
        spool_append(
            {
                "kind": kind,
                "submission": submission,
                "meta": meta.as_dict(),
                "verdict": {"is_spam": verdict.is_spam, "score": verdict.score, "reasons": verdict.reasons, "review": verdict.review},
                "idempotency_key": idempotency_key,
                "received_at": received_at.isoformat(),
            }
        )
        return SubmitResult(message=None, spooled=True)


def spooled_store(record: dict) -> SubmitResult:
    """Store one record from the spool, as it would have been stored at submission time.

    The shared rate limits are applied again, in the window of its arrival: a submission over a
    limit (each web process only limited itself during the outage) is stored flagged as spam, so
    nobody is mailed about it, rather than dropped."""
    submission = dict(record["submission"])
    if submission.get("preferred_date"):
        submission["preferred_date"] = date.fromisoformat(submission["preferred_date"])
    meta = RequestMeta(**record["meta"])
    received_at = datetime.fromisoformat(record["received_at"])
    verdict = SpamVerdict(**record["verdict"])
    try:
        rate_limits_check(meta=meta, email=submission["email"], token=record["idempotency_key"], at=received_at)
    except ratelimit.RateLimited as exc:
        verdict = SpamVerdict(is_spam=True, score=verdict.score, reasons=[*verdict.reasons, f"rate_limited_{exc.scope}"], review=False)
    return message_store(
        kind=record["kind"],
        submission=submission,
        meta=meta,
        verdict=verdict,
        idempotency_key=record["idempotency_key"],
        received_at=received_at,
    )


def deliveries_sweep(*, older_than_seconds: int = 60, batch: int = 500, batches: int = 20) -> int:
    """Mark the form messages whose deliveries are enqueued, and enqueue those of messages stored
    by a process that died before enqueuing them (and of inbound mail that died before its
    notices); returns how many had to be enqueued here.

    A form POST stores its message unmarked and enqueues its two jobs without writing the mark
    (a round trip saved per POST), so the worker marks them here in bulk: one read of the
    candidates (index message_undelivered), one of their jobs' keys (outbox_key), one update."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    enqueued = 0
    for _ in range(batches):
        candidates = list(
            Message.objects.filter(deliveries_enqueued=False, is_spam=False, direction=Direction.IN, received_at__lt=cutoff)
            .order_by()
            .defer("message", "body_full", "search_terms", "utm", "attachments")[:batch]
        )
        keys = {f"{kind}:{m.pk}" for m in candidates if m.kind != FormKind.EMAIL for kind in ("staff_email", "visitor_email")}
        stored = outbox_keys_stored(keys=keys)
        marked = []
        for message in candidates:
            if message.kind == FormKind.EMAIL:  # an inbound mail: the staff are told, its sender never answered
                if message.lead_id is not None:
                    inbound_notify(message=message, lead=message.lead)
                enqueued += 1
                continue
            if not {f"staff_email:{message.pk}", f"visitor_email:{message.pk}"} <= stored:
                deliveries_enqueue(message=message)
                enqueued += 1
            marked.append(message.pk)
        messages_mark_enqueued(message_ids=marked)
        if len(candidates) < batch:
            break
    return enqueued


def inbound_mail_receive(
    *, raw: bytes, via: str, envelope_from: str | None = None, envelope_to: Sequence[str] = ()
) -> InboundResult:
    """One inbound mail (RFC 822 bytes) onto its lead's conversation: the one path for the SMTP
    receiver (via="smtp"), an MTA's pipe (via="pipe") and IMAP polling (via="imap").

    Idempotent: a mail delivered again returns the stored message with duplicate=True. Raises
    MailRefused (its `code` 552 for a mail over INBOUND_MAX_BYTES, 451 for a sender over the rate
    limit); database errors propagate, for the caller to answer "try again later". See contact.inbound."""
    return mail_receive(raw=raw, via=via, envelope_from=envelope_from, envelope_to=envelope_to)


def lead_spam_set(*, lead: Lead, spam: bool) -> None:
    """Staff's verdict: labels every message of the lead ("spam"/"ham") as training data; a lead
    cleared of spam goes back to new."""
    messages_label(lead_id=lead.pk, label=SpamLabel.SPAM if spam else SpamLabel.HAM)
    lead_update(lead_id=lead.pk, **spam_changes(status=lead.status, spam=spam), needs_review=False)  # staff decided


def lead_status_change(*, lead: Lead, status: str, at: datetime) -> None:
    """Move a lead in the pipeline (to spam: lead_spam_set). Leaving new marks it contacted at
    `at` the first time; a spam lead moved elsewhere is no longer spam, its messages labelled ham."""
    if status not in LeadStatus.values:
        raise ValueError(f"unknown status {status!r}")
    if status == LeadStatus.SPAM:
        lead_spam_set(lead=lead, spam=True)
        return
    changes: dict = {"status": status}
    if status != LeadStatus.NEW and lead.first_contacted_at is None:
        changes["first_contacted_at"] = at
    if lead.is_spam:
        changes["is_spam"] = False
        messages_label(lead_id=lead.pk, label=SpamLabel.HAM)
    lead_update(lead_id=lead.pk, **changes)


def lead_contacted(*, lead: Lead, at: datetime) -> None:
    """Staff wrote to the person: first contact at `at` (if none yet), and a new lead becomes contacted."""
    changes: dict = {"first_contacted_at": at} if lead.first_contacted_at is None else {}
    if lead.status == LeadStatus.NEW:
        changes["status"] = LeadStatus.CONTACTED
    if changes:
        lead_update(lead_id=lead.pk, **changes)


def reply_record(
    *, lead: Lead, sender_user: AbstractBaseUser, subject: str, body: str, mail_message_id: str, at: datetime,
    in_reply_to: str = "", references: list[str] | None = None,
) -> Message:
    """A staff reply on the lead's conversation (direction out, the full body), stored before its mail
    is enqueued; the lead no longer awaits our reply. `mail_message_id` is the mail's Message-ID
    (stored without its angle brackets, as inbound mail's are, so an answer threads to it). Not
    counted in the lead's messages (those are the visitor's) and never notified about."""
    staff_name = sender_user.get_full_name() or sender_user.get_username()
    message = message_insert(
        lead=lead,
        kind=FormKind.EMAIL,
        direction=Direction.OUT,
        sender_user=sender_user,
        name=staff_name[:120],
        email=parseaddr(settings.DEFAULT_FROM_EMAIL)[1],
        subject=subject[:200],
        message=body,
        body_full=body,
        mail_message_id=mail_message_id.strip().strip("<>"),
        mail_in_reply_to=in_reply_to.strip().strip("<>"),
        mail_references=[r.strip().strip("<>") for r in references or []],
        received_at=at,
        deliveries_enqueued=True,  # nothing to deliver about it: the reply is its own mail
    )
    lead_awaiting_set(lead_id=lead.pk, awaiting=False)
    return message


def lead_assignee_set(*, lead: Lead, assignee: AbstractBaseUser | None) -> None:
    lead_update(lead_id=lead.pk, assignee=assignee)


def lead_assignee_route(*, lead: Lead, assignee: AbstractBaseUser) -> bool:
    """A routing rule's assignment: applies only while the lead is unassigned (True if it did)."""
    return lead_assign_unassigned(lead_id=lead.pk, assignee_id=assignee.pk)


def lead_intent_set(*, lead: Lead, intent: str, at: datetime) -> None:
    """Staff's intent for a lead: it sticks (the model no longer changes it), and labels the lead's
    messages as the intent model's training data. `intent` is checked by the caller (analytics.intent)."""
    if not intent or len(intent) > 60:
        raise ValueError(f"not an intent: {intent!r}")
    lead_update(lead_id=lead.pk, intent=intent, intent_set_at=at)
    messages_intent_label(lead_id=lead.pk, intent=intent)


def lead_tags_set(*, lead: Lead, tags: list[str]) -> None:
    lead_update(lead_id=lead.pk, tags=tags)


def person_forget(*, email: str) -> dict[str, int]:
    """GDPR erasure of what contact holds on a person: their outbox jobs, rate-limit counters,
    messages and lead. Returns how many of each went (the lead's own document aside)."""
    lead = Lead.objects.filter(email=email).only("pk", "aliases").first()
    message_ids = [str(pk) for pk in message_ids_of(lead_id=lead.pk)] if lead else []
    addresses = [email, *(lead.aliases if lead else [])]  # the addresses of leads merged into it too
    counts = {
        "messages": len(message_ids),
        "outbox": jobs_forget(lead_id=lead.pk, message_ids=message_ids) if lead else 0,
        "rate_limits": sum(ratelimit.counts_forget(scope="email", key=address) for address in addresses),
    }
    if lead:
        mail_files_delete(file_ids=mail_file_ids_of(lead_id=lead.pk))  # raw mails and attachments in GridFS
        person_delete(lead_id=lead.pk)
    return counts


class MergeRefused(ValueError):
    pass


@dataclass(frozen=True)
class MergeResult:
    merged_email: str  # "" when a re-run found the merged lead gone already
    messages: int  # moved by this run
    outbox: int


def leads_merge(*, survivor_id, merged_id, move_related: Callable[[object, object], None] | None = None) -> MergeResult:
    """Merge one lead into another: the survivor takes the merged lead's messages, outbox history,
    tags, addresses (as aliases: mail from them joins the survivor, an erasure forgets them) and
    missing details; its search terms and counts are rebuilt; the merged lead is deleted.

    `move_related(from_id, to_id)` moves what other apps keep about the merged lead (the CRM's
    notes and timeline); it runs before the delete. Every step is idempotent, so a merge that
    crashed halfway completes when run again with the same ids (the merged lead is marked with
    `merged_into` first, and the survivor remembers its id). Raises MergeRefused."""
    if not (ObjectId.is_valid(str(survivor_id)) and ObjectId.is_valid(str(merged_id))):
        raise MergeRefused("Unknown lead.")
    survivor_id, merged_id = ObjectId(str(survivor_id)), ObjectId(str(merged_id))
    survivor = Lead.objects.filter(pk=survivor_id).first()
    if survivor is None or survivor.merged_into:
        raise MergeRefused("The lead to keep does not exist or is itself being merged into another.")
    merged = Lead.objects.filter(pk=merged_id).first()
    if merged is None and str(merged_id) not in survivor.merged_ids:
        raise MergeRefused("The lead to merge does not exist.")
    if merged is not None:
        if merged.pk == survivor.pk:
            raise MergeRefused("A lead cannot be merged into itself.")
        if merged.merged_into and merged.merged_into != str(survivor.pk):
            raise MergeRefused("That lead is being merged into another lead.")
        lead_merge_begin(survivor=survivor, merged=merged)
    messages = messages_move(from_lead_id=merged_id, to_lead_id=survivor.pk)
    outbox = jobs_move(from_lead_id=merged_id, to_lead_id=survivor.pk)
    if move_related is not None:
        move_related(merged_id, survivor.pk)
    lead_merge_refresh(lead_id=survivor.pk)
    lead_merged_delete(lead_id=merged_id, survivor_id=survivor.pk)
    return MergeResult(merged_email=merged.email if merged else "", messages=messages, outbox=outbox)


def push_subscription_save(*, user: AbstractBaseUser, endpoint: str, p256dh: str, auth: str, user_agent: str = "") -> PushSubscription:
    """Store this browser's subscription for the user (an endpoint belongs to one user at a time)."""
    subscription, _ = PushSubscription.objects.update_or_create(
        endpoint=endpoint,
        defaults={"user": user, "p256dh": p256dh, "auth": auth, "user_agent": user_agent[:400], "created_at": timezone.now()},
    )
    return subscription


def push_subscription_delete(*, user: AbstractBaseUser, endpoint: str) -> int:
    return PushSubscription.objects.filter(user=user, endpoint=endpoint).delete()[0]
