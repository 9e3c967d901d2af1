"""The outbox: deliveries stored in MongoDB, claimed atomically by any number of workers.

A job is claimed by a conditional update on its own document (due, unleased), so two
workers can never both hold it. A worker that dies mid-job loses its lease, and the job
becomes due again after OUTBOX_LEASE_SECONDS: delivery is at least once, and exactly once
unless a worker dies between sending and marking the job done.
"""
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError
from django.db.models import Q
from django.utils import timezone

from contact.models import Lead, OutboxJob, OutboxStatus


def job_enqueue(*, kind: str, key: str, payload: dict, lead: Lead | None = None) -> OutboxJob:
    """Add a delivery once: enqueuing the same key again returns the existing job."""
    now = timezone.now()
    try:
        return OutboxJob.objects.create(kind=kind, key=key, payload=payload, lead=lead, run_after=now, created_at=now)
    except IntegrityError:
        return OutboxJob.objects.get(key=key)


def _due(now) -> Q:
    return Q(status=OutboxStatus.PENDING, run_after__lte=now) & (Q(locked_until__isnull=True) | Q(locked_until__lt=now))


def job_claim(*, worker: str) -> OutboxJob | None:
    now = timezone.now()
    lease_until = now + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    candidates = OutboxJob.objects.filter(_due(now)).order_by("run_after").values_list("pk", flat=True)[:20]
    for pk in candidates:
        if OutboxJob.objects.filter(_due(now), pk=pk).update(locked_by=worker, locked_until=lease_until):
            return OutboxJob.objects.get(pk=pk)
    return None


def job_complete(*, job: OutboxJob) -> None:
    OutboxJob.objects.filter(pk=job.pk, locked_by=job.locked_by).update(
        status=OutboxStatus.DONE, attempts=job.attempts + 1, done_at=timezone.now(), locked_until=None, last_error=""
    )


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff: base, 2×base, 4×base … capped at OUTBOX_RETRY_MAX_SECONDS."""
    return timedelta(seconds=min(settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** (attempts - 1), settings.OUTBOX_RETRY_MAX_SECONDS))


def job_fail(*, job: OutboxJob, error: str) -> OutboxStatus:
    attempts = job.attempts + 1
    dead = attempts >= settings.OUTBOX_MAX_ATTEMPTS
    status = OutboxStatus.DEAD if dead else OutboxStatus.PENDING
    OutboxJob.objects.filter(pk=job.pk, locked_by=job.locked_by).update(
        status=status,
        attempts=attempts,
        run_after=timezone.now() + retry_delay(attempts),
        locked_until=None,
        last_error=error[:2000],
    )
    return status


def dead_letters_retry(*, ids: list[str] | None = None) -> int:
    """Put dead letters back in the queue with a fresh count of attempts."""
    jobs = OutboxJob.objects.filter(status=OutboxStatus.DEAD)
    if ids:
        jobs = jobs.filter(pk__in=ids)
    return jobs.update(status=OutboxStatus.PENDING, attempts=0, run_after=timezone.now(), locked_until=None)
