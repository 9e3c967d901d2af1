"""The outbox: deliveries stored in MongoDB, claimed atomically by any number of workers.

A job is claimed by a conditional update on its own document (due, unleased), so two
workers can never both hold it. A worker that dies mid-job loses its lease, and the job
becomes due again after OUTBOX_LEASE_SECONDS: delivery is at least once, and exactly once
unless a worker dies between sending and marking the job done.
"""
from collections.abc import Iterable, Mapping
from dataclasses import asdict
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection
from django.urls import reverse
from django.utils import timezone

from contact.delivery import EmailPayload, MessagePayload, Payload, PayloadInvalid, PushPayload, job_type, mail_message_id
from contact.models import LEASE_NONE, JobKind, Lead, Message, OutboxJob, OutboxStatus, PushSubscription

__all__ = [
    "JobKind", "PayloadInvalid", "dead_letters_retry", "email_enqueue", "job_claim", "job_complete", "job_enqueue",
    "job_fail", "job_lead_by_mail_id", "jobs_claim", "jobs_forget", "jobs_move", "jobs_release", "message_emails_enqueue",
    "message_pushes_enqueue", "outbox_keys_stored", "push_enqueue", "pushes_enqueue", "retry_delay", "staff_push_subscriptions",
]


def job_enqueue(*, kind: JobKind, key: str, payload: Payload | Mapping[str, Any], lead: Lead | None = None) -> OutboxJob:
    """Add a delivery once: enqueuing the same key again returns the existing job.

    `payload` is the kind's payload dataclass (contact.delivery.JOB_TYPES) or a mapping of the same
    keys; either is checked here and raises PayloadInvalid on a missing, unknown or mistyped key.
    Prefer the typed helpers below; `key` is the caller's idempotency key (unique across kinds)."""
    shape = job_type(kind)
    if isinstance(payload, Mapping):
        payload = shape.load(payload)
    else:
        shape.check(payload)
    now = timezone.now()
    try:
        return OutboxJob.objects.create(kind=kind, key=key, payload=asdict(payload), lead=lead, run_after=now, created_at=now)
    except IntegrityError:
        return OutboxJob.objects.get(key=key)


def message_emails_enqueue(*, message: Message, lead_id: Any = None) -> None:
    """The staff notification and the visitor's confirmation of one stored message, once each, in
    one insert; where one is already stored (the sweep met a message whose request died midway),
    each goes through job_enqueue. The staff notification's job also enqueues the pushes."""
    now = timezone.now()
    jobs = []
    for kind, key in ((JobKind.STAFF_EMAIL, f"staff_email:{message.pk}"), (JobKind.VISITOR_EMAIL, f"visitor_email:{message.pk}")):
        payload = MessagePayload(message_id=str(message.pk), mail_message_id=mail_message_id())
        job_type(kind).check(payload)
        jobs.append(OutboxJob(kind=kind, key=key, payload=asdict(payload), lead_id=lead_id, run_after=now, created_at=now))
    try:
        OutboxJob.objects.bulk_create(jobs)
    except IntegrityError:
        for job in jobs:
            job_enqueue(kind=JobKind(job.kind), key=job.key, payload=job.payload, lead=Lead(pk=lead_id) if lead_id else None)


def staff_push_subscriptions() -> list[PushSubscription]:
    """The push subscriptions of active staff."""
    subscriptions = list(PushSubscription.objects.only("pk", "user_id"))  # a few devices: no join to the users
    staff = set(
        get_user_model().objects.filter(pk__in={s.user_id for s in subscriptions}, is_staff=True, is_active=True).values_list("pk", flat=True)
    ) if subscriptions else set()
    return [s for s in subscriptions if s.user_id in staff]


def message_pushes_enqueue(*, message: Message, subscriptions: list[PushSubscription]) -> None:
    """One web push per active staff device (`subscriptions`, from staff_push_subscriptions) about a
    new message (run by the worker, from the staff notification's job, so the visitor's request does
    not read the subscriptions)."""
    url = f"{settings.SITE_URL}{reverse('crm:lead', args=[message.lead_id])}" if message.lead_id else settings.SITE_URL
    lead = Lead(pk=message.lead_id) if message.lead_id else None
    pushes_enqueue(
        subscriptions=subscriptions,
        key=f"push:{message.pk}",
        title=f"{'Needs review: ' if message.spam_review else 'New '}{message.get_kind_display().lower()}: {message.name}",
        body=message.subject,
        url=url,
        lead=lead,
    )


def pushes_enqueue(*, subscriptions: Iterable[PushSubscription], key: str, title: str, body: str, url: str, lead: Lead | None) -> None:
    """One web push per device, each job keyed `key:<subscription id>`; title and body cut to what a
    notification shows."""
    for subscription in subscriptions:
        push_enqueue(
            key=f"{key}:{subscription.pk}", subscription_id=str(subscription.pk), title=title[:120], body=body[:200], url=url, lead=lead
        )


def outbox_keys_stored(*, keys: set[str]) -> set[str]:
    """Which of these job keys are in the outbox (one read through the outbox_key index)."""
    if not keys:
        return set()
    collection = connection.get_collection(OutboxJob._meta.db_table)
    return {doc["key"] for doc in collection.find({"key": {"$in": sorted(keys)}}, {"_id": 0, "key": 1})}


def email_enqueue(
    *, key: str, to: list[str], subject: str, template: str, context: dict[str, Any] | None = None,
    reply_to: list[str] | None = None, lead: Lead | None = None, message_id: str = "", in_reply_to: str = "",
    references: list[str] | None = None, from_name: str = "", auto_submitted: bool = False,
) -> OutboxJob:
    """A ready-made email: `template` names `<template>.txt` and `<template>.html`, rendered with
    `context` (JSON values only: it is stored) by the worker. A job with a lead goes when the lead is erased.
    The mail's Message-ID is `message_id` or one made now, stored in the payload: a retry resends it."""
    payload = EmailPayload(
        to=list(to), subject=subject, template=template, context=dict(context or {}), reply_to=reply_to,
        message_id=message_id or mail_message_id(), in_reply_to=in_reply_to, references=list(references or []),
        from_name=from_name, auto_submitted=auto_submitted,
    )
    return job_enqueue(kind=JobKind.EMAIL, key=key, payload=payload, lead=lead)


def push_enqueue(*, key: str, subscription_id: str, title: str, body: str, url: str, lead: Lead | None = None) -> OutboxJob:
    """One web push to one subscribed browser; a subscription gone by then is dropped quietly."""
    payload = PushPayload(subscription_id=str(subscription_id), title=title, body=body, url=url)
    return job_enqueue(kind=JobKind.PUSH, key=key, payload=payload, lead=lead)


# The Message-ID of a mail a job sends, by payload kind (with angle brackets); sparse indexes from
# migration contact 0005. Read with pymongo: the ORM's JSON key lookup does not use an index.
MAIL_ID_KEYS = ("payload.mail_message_id", "payload.message_id")


def job_lead_by_mail_id(*, mail_ids: list[str]) -> Any | None:
    """The lead of the job that sent one of these mails (Message-IDs without angle brackets), for an
    answer to a confirmation or notice to thread onto its lead (contact.inbound)."""
    wrapped = [f"<{mail_id}>" for mail_id in mail_ids]
    collection = connection.get_collection(OutboxJob._meta.db_table)
    column = OutboxJob._meta.get_field("lead").column
    for key in MAIL_ID_KEYS:
        job = collection.find_one({key: {"$in": wrapped}, column: {"$ne": None}}, {column: 1})
        if job:
            return job[column]
    return None


def jobs_claim(*, worker: str, limit: int = 10) -> list[OutboxJob]:
    """Up to `limit` of the oldest due, unleased jobs, leased to `worker` together.

    Candidates come through the (status, run_after) index, a window of it at a time from this
    process's floor (_ClaimFloor), at most a few pages however long the backlog; the lease is one conditional update of those candidates by _id (still pending, due
    and unleased), so two workers never both hold a job; the jobs this worker won are read back by
    _id and kept if they carry its lease. All three queries are flat field conditions: on the
    embedded server a lease range in the find, or an $or/$and beside the _id in an update, makes it
    scan every job (pinned in tests/dbcompat). An unleased job's locked_until is LEASE_NONE, never null."""
    for _ in range(3):  # another worker won every candidate: those are leased now, look again
        now = timezone.now()
        candidates = _candidates(now=now, limit=limit)
        if not candidates:
            return []
        # Stored dates keep milliseconds: the lease read back must equal the one written.
        lease_until = _to_millisecond(now + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS))
        _collection().update_many(
            {"_id": {"$in": candidates}, **_due(now), "locked_until": {"$lt": now}},
            {"$set": {"locked_by": worker, "locked_until": lease_until}},
        )
        won = OutboxJob.objects.in_bulk(candidates)
        jobs = [job for pk in candidates if (job := won.get(pk)) and (job.locked_by, job.locked_until) == (worker, lease_until)]
        if jobs:
            return jobs
    return []


def _collection():
    return connection.get_collection(OutboxJob._meta.db_table)


def _due(now) -> dict:
    return {"status": OutboxStatus.PENDING.value, "run_after": {"$lte": now}}


class _ClaimFloor:
    """Where this process's claims start reading the queue: at or below the oldest pending job it
    last saw. The embedded server reads every match of a range before it returns the first (pinned
    in tests/dbcompat), so a claim over the whole due backlog cost O(backlog): 14 ms at 300 pending
    jobs, 122 ms at 3,000. Claims read windows of run_after upward from the floor instead, and the
    whole queue again every RESCAN_SECONDS and whenever the windows found nothing, so a job below
    the floor (enqueued by a process whose clock runs behind, or committed just after a claim read
    past its moment) waits at most that long."""

    WINDOW = timedelta(seconds=5)
    RESCAN_SECONDS = 30.0

    def __init__(self) -> None:
        self.at = None
        self.rescan_after = 0.0

    def forget(self) -> None:
        self.at, self.rescan_after = None, 0.0


_floor = _ClaimFloor()


def _candidates(*, now, limit: int) -> list:
    """The _ids of up to `limit` due, unleased jobs, oldest first (from the floor up, see _ClaimFloor)."""
    if _floor.at is not None and time.monotonic() < _floor.rescan_after:
        candidates, low = [], _floor.at
        while len(candidates) < limit and low <= now:
            high = _to_millisecond(min(now, low + _ClaimFloor.WINDOW))
            found, pending = _scan({**_due(now), "run_after": {"$gte": low, "$lte": high}}, now=now, limit=limit - len(candidates))
            candidates += found
            if not pending and low == _floor.at:
                _floor.at = high  # nothing pending below `high`: later claims start there
            low = high + timedelta(milliseconds=1)  # stored dates keep milliseconds
        if candidates:
            return candidates
    candidates, oldest = _scan(_due(now), now=now, limit=limit)
    _floor.at, _floor.rescan_after = oldest, time.monotonic() + _ClaimFloor.RESCAN_SECONDS
    return candidates


def _scan(query: dict, *, now, limit: int) -> tuple[list, Any]:
    """Up to `limit` unleased job _ids matching `query`, oldest first, from at most a few pages of the
    (status, run_after) index; and the run_after of the first pending job seen (leased or not), or None."""
    candidates, oldest = [], None
    with _collection().find(query, {"_id": 1, "locked_until": 1, "run_after": 1}).sort("run_after", 1).batch_size(limit * 2) as cursor:
        for seen, doc in enumerate(cursor, start=1):
            if oldest is None:
                oldest = _aware(doc["run_after"])
            if not _leased(doc.get("locked_until"), now):
                candidates.append(doc["_id"])
            if len(candidates) == limit or seen == limit * 10:  # others hold the head of the queue: next pass
                break
    return candidates, oldest


def job_claim(*, worker: str) -> OutboxJob | None:
    """The oldest due, unleased job, leased to `worker` (jobs_claim of one)."""
    jobs = jobs_claim(worker=worker, limit=1)
    return jobs[0] if jobs else None


def jobs_release(*, jobs: list[OutboxJob]) -> None:
    """Give back leased jobs this worker will not run now (its batch took too long): due again at once."""
    for job in jobs:
        _job_update(job, {"locked_until": LEASE_NONE})


def _leased(until, now) -> bool:
    return until is not None and _aware(until) >= now


def _aware(moment: datetime) -> datetime:
    """A date as pymongo returns it (naive, in UTC) made comparable with timezone.now()."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _to_millisecond(moment: datetime) -> datetime:
    """Stored dates keep milliseconds: a window's bound cut to them leaves no gap before the next."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _job_update(job: OutboxJob, changes: dict) -> None:
    """One update of a job its worker still holds, by _id and locked_by as flat conditions: the ORM
    sends them in an $and, which makes the embedded server scan every job (issue 15)."""
    connection.get_collection(OutboxJob._meta.db_table).update_one({"_id": job.pk, "locked_by": job.locked_by}, {"$set": changes})


def job_complete(*, job: OutboxJob) -> None:
    _job_update(job, {"status": OutboxStatus.DONE.value, "attempts": job.attempts + 1, "done_at": timezone.now(),
                      "locked_until": LEASE_NONE, "last_error": ""})


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff: base, 2×base, 4×base … capped at OUTBOX_RETRY_MAX_SECONDS."""
    return timedelta(seconds=min(settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** (attempts - 1), settings.OUTBOX_RETRY_MAX_SECONDS))


def job_fail(*, job: OutboxJob, error: str) -> OutboxStatus:
    attempts = job.attempts + 1
    dead = attempts >= settings.OUTBOX_MAX_ATTEMPTS
    status = OutboxStatus.DEAD if dead else OutboxStatus.PENDING
    _job_update(job, {"status": status.value, "attempts": attempts, "run_after": timezone.now() + retry_delay(attempts),
                      "locked_until": LEASE_NONE, "last_error": error[:2000]})
    return status


def dead_letters_retry(*, ids: list[str] | None = None) -> int:
    """Put dead letters back in the queue with a fresh count of attempts."""
    jobs = OutboxJob.objects.filter(status=OutboxStatus.DEAD)
    if ids:
        jobs = jobs.filter(pk__in=ids)
    return jobs.update(status=OutboxStatus.PENDING, attempts=0, run_after=timezone.now(), locked_until=LEASE_NONE)


def jobs_forget(*, lead_id, message_ids: list[str]) -> int:
    """Delete the outbox jobs of a lead and those naming one of its messages (GDPR erasure)."""
    return (
        OutboxJob.objects.filter(lead_id=lead_id).delete()[0]
        + OutboxJob.objects.filter(payload__message_id__in=message_ids).delete()[0]
    )


def jobs_move(*, from_lead_id, to_lead_id) -> int:
    """Give a lead's outbox history (sent, pending and dead jobs) to another lead (a merge)."""
    return OutboxJob.objects.filter(lead_id=from_lead_id).update(lead_id=to_lead_id)
