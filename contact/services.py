"""Writes of the intake: one submission in, a lead and a message stored, deliveries enqueued."""
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection
from django.utils import timezone
from pymongo.errors import PyMongoError

from contact import ratelimit
from contact.meta import RequestMeta
from contact.models import FormKind, Lead, LeadStatus, Message, PushSubscription
from contact.crm_index import MAX_LEAD_TERMS, lead_terms
from contact.outbox import job_enqueue
from contact.search import search_terms
from contact.spam import SpamVerdict, spam_verdict
from contact.spool import spool_append
from maniva_webapp.mongo import upsert_and_fetch

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
    for scope, key in (("ip", meta.ip), ("email", email)):
        if key:
            limit, window = settings.CONTACT_RATE_LIMITS[scope]
            if local:
                ratelimit.hit_local(scope=scope, key=key, limit=limit, window=window, token=token)
            else:
                ratelimit.hit(scope=scope, key=key, limit=limit, window=window, token=token, at=at)


def _lead_document_defaults() -> dict:
    """Every Lead column at its model default, as stored: what an ORM insert would write."""
    return {
        field.column: field.get_db_prep_save(field.get_default(), connection)
        for field in Lead._meta.concrete_fields
        if not field.primary_key
    }


def lead_upsert(*, email: str, name: str, company: str, phone: str, country: str, received_at: datetime, spam: bool) -> Lead:
    """The person behind an email address, created on first contact, refreshed on each message.

    One atomic upsert on the unique email, so concurrent first messages from one person make one lead.
    """
    updates = {"name": name, **{key: value for key, value in (("company", company), ("phone", phone), ("country", country)) if value}}
    on_insert = {
        **_lead_document_defaults(),
        "email": email,
        "created_at": received_at,
        "is_spam": spam,
        "status": LeadStatus.SPAM if spam else LeadStatus.NEW,
    }
    for key in [*updates, "last_activity_at"]:
        on_insert.pop(key, None)
    collection = connection.get_collection(Lead._meta.db_table)
    doc = upsert_and_fetch(
        collection, {"email": email}, {"$set": updates, "$setOnInsert": on_insert, "$max": {"last_activity_at": received_at}}
    )
    if not spam and doc["is_spam"]:
        status = LeadStatus.NEW if doc["status"] == LeadStatus.SPAM else doc["status"]
        collection.update_one({"_id": doc["_id"]}, {"$set": {"is_spam": False, "status": status}})
    return Lead.objects.get(pk=doc["_id"])


def lead_record_message(*, lead: Lead, message: Message) -> None:
    """Count the message on its lead and fold it into the CRM inbox fields, in one update."""
    terms = list(dict.fromkeys([*lead_terms(lead=lead), *message.search_terms]))
    update = {
        "$inc": {"message_count": 1},
        "$addToSet": {"kinds": message.kind},
    }
    if len(lead.search_terms) < MAX_LEAD_TERMS:
        update["$addToSet"]["search_terms"] = {"$each": terms}
    if message.received_at >= lead.last_activity_at:
        update["$set"] = {"last_subject": message.subject[:200]}
    connection.get_collection(Lead._meta.db_table).update_one({"_id": lead.pk}, update)


def deliveries_enqueue(*, message: Message) -> None:
    """Staff email, visitor confirmation and a push per staff device; none for spam."""
    if message.is_spam:
        return
    lead = message.lead
    job_enqueue(kind="staff_email", key=f"staff_email:{message.pk}", payload={"message_id": str(message.pk)}, lead=lead)
    job_enqueue(kind="visitor_email", key=f"visitor_email:{message.pk}", payload={"message_id": str(message.pk)}, lead=lead)
    url = f"{settings.SITE_URL}{lead.get_absolute_url()}"
    for subscription in PushSubscription.objects.filter(user__is_staff=True, user__is_active=True):
        job_enqueue(
            kind="push",
            key=f"push:{message.pk}:{subscription.pk}",
            payload={
                "subscription_id": str(subscription.pk),
                "title": f"New {message.get_kind_display().lower()}: {message.name}"[:120],
                "body": message.subject[:200],
                "url": url,
            },
            lead=lead,
        )
    Message.objects.filter(pk=message.pk).update(deliveries_enqueued=True)


def message_store(*, kind: str, submission: dict, meta: RequestMeta, verdict: SpamVerdict, idempotency_key: str, received_at: datetime) -> SubmitResult:
    """Store one accepted submission (idempotent by key), then enqueue its deliveries."""
    lead = lead_upsert(
        email=submission["email"],
        name=submission["name"],
        company=submission.get("company", ""),
        phone=submission.get("phone", ""),
        country=meta.country,
        received_at=received_at,
        spam=verdict.is_spam,
    )
    fields = {key: value for key, value in submission.items() if key in _MESSAGE_FIELDS}
    try:
        message = Message.objects.create(
            lead=lead,
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
            idempotency_key=idempotency_key,
            search_terms=search_terms(
                submission["name"], submission["email"], submission.get("company", ""), submission["subject"], submission["message"]
            ),
            **fields,
        )
    except IntegrityError:  # the same form posted twice at once: the other request stored it
        return SubmitResult(message=Message.objects.get(idempotency_key=idempotency_key), duplicate=True)
    lead_record_message(lead=lead, message=message)
    deliveries_enqueue(message=message)
    return SubmitResult(message=message)


_MESSAGE_FIELDS = {f.name for f in Message._meta.get_fields()} - {"id", "lead"}


def message_submit(*, kind: str = FormKind.CONTACT, submission: dict, meta: RequestMeta, honeypot: str = "", form_ts: str = "", idempotency_key: str) -> SubmitResult:
    """The public form's one write: judge, store, enqueue. Spools to disk if MongoDB is down.

    Raises ratelimit.RateLimited when the sender is over a limit (nothing is stored then), and
    spool.SpoolFull when the database is down and the spool is full.
    """
    received_at = timezone.now()
    verdict = spam_verdict(submission=submission, honeypot=honeypot, form_ts=form_ts)
    try:
        rate_limits_check(meta=meta, email=submission["email"], token=idempotency_key)
        return message_store(
            kind=kind, submission=submission, meta=meta, verdict=verdict, idempotency_key=idempotency_key, received_at=received_at
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
                "verdict": {"is_spam": verdict.is_spam, "score": verdict.score, "reasons": verdict.reasons},
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
        verdict = SpamVerdict(is_spam=True, score=verdict.score, reasons=[*verdict.reasons, f"rate_limited_{exc.scope}"])
    return message_store(
        kind=record["kind"],
        submission=submission,
        meta=meta,
        verdict=verdict,
        idempotency_key=record["idempotency_key"],
        received_at=received_at,
    )


def deliveries_sweep(*, older_than_seconds: int = 60) -> int:
    """Enqueue deliveries for messages stored by a process that died before enqueuing them."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    stranded = Message.objects.filter(deliveries_enqueued=False, is_spam=False, received_at__lt=cutoff).select_related("lead")
    count = 0
    for message in stranded[:500]:
        deliveries_enqueue(message=message)
        count += 1
    return count
