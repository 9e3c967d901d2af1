"""The outbox worker's loop: replay the spool, sweep stranded messages, run due jobs."""
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import DatabaseError
from django.utils.module_loading import import_string
from pymongo.errors import PyMongoError

from contact import delivery
from contact.imap import imap_account, mailbox_poll
from contact.models import OutboxStatus
from contact.outbox import job_complete, job_fail, jobs_claim, jobs_release
from contact.services import deliveries_sweep, spooled_store
from contact.spool import spool_replay

logger = logging.getLogger(__name__)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


# Jobs claimed at once: one claim, one read of their messages and one SMTP connection serve them
# all, while each is still marked done on its own right after it is sent (a crash resends at most
# the one in hand). Small enough that several workers all get a share of a burst.
BATCH = 10


def jobs_run_due(*, worker: str, limit: int = 1000, batch: int = BATCH) -> int:
    """Run due jobs until none is left (or `limit`); return how many were attempted."""
    attempted = 0
    while attempted < limit and (jobs := jobs_claim(worker=worker, limit=min(batch, limit - attempted))):
        attempted += _batch_run(jobs)
    return attempted


def jobs_run_due_threads(*, worker: str, threads: int) -> int:
    """jobs_run_due in `threads` threads at once: while one waits on the database's journal or on
    the SMTP server, another renders and sends. Each claims under a name of its own, since a lease
    names its holder (two claimers of one name could each take the other's fresh lease for theirs)."""
    if threads <= 1:
        return jobs_run_due(worker=worker)
    # Fresh threads each pass: a thread's database connection lives as long as it does, and one
    # kept from an earlier pass would hold a client closed since (tests reset it).
    with ThreadPoolExecutor(threads, thread_name_prefix="outbox") as pool:
        runs = [pool.submit(jobs_run_due, worker=f"{worker}/{n}") for n in range(threads)]
        return sum(run.result() for run in runs)


def _batch_run(jobs: list) -> int:
    """Run one claimed batch in order. Past half the lease (slow SMTP), the rest is given back
    rather than run under a lease that may run out, which would let another worker send it too."""
    deadline = time.monotonic() + settings.OUTBOX_LEASE_SECONDS / 2
    with delivery.DeliveryBatch(jobs):
        for done, job in enumerate(jobs):
            if done and time.monotonic() > deadline:
                jobs_release(jobs=jobs[done:])
                return done
            try:
                delivery.job_run(job)
            except Exception as exc:  # any failure of a delivery is retried, then dead-lettered
                status = job_fail(job=job, error=f"{type(exc).__name__}: {exc}")
                log = logger.error if status == OutboxStatus.DEAD else logger.warning
                log("job %s (%s) failed, attempt %d: %s", job.pk, job.kind, job.attempts + 1, exc)
            else:
                job_complete(job=job)
    return len(jobs)


SWEEP_EVERY_SECONDS = 60
SPAM_RETRAIN_HOOK = "analytics.retrain.retrain_when_due"  # by name: contact does not import analytics
DASHBOARD_HOOK = "maniva_crm.services.dashboard_refresh_when_due"  # nor the CRM
DASHBOARD_CHECK_SECONDS = 60


def worker_tick(*, worker: str, sweep: bool = True, mailbox: bool = True, threads: int = 1) -> int:
    """One pass of the worker; database outages are logged and survived.

    The sweep for stranded messages scans recent messages, so the loop runs it once a minute,
    not on every pass; the IMAP mailbox (when IMAP_HOST is set) every IMAP_POLL_SECONDS, before
    the jobs, so the notices of the mail it imports go out in the same pass."""
    try:
        replayed = spool_replay(spooled_store)
        if replayed:
            logger.info("replayed %d spooled submissions", replayed)
        if sweep:
            deliveries_sweep()
        if mailbox and (account := imap_account()) is not None:
            mailbox_poll(account=account, holder=worker)  # logs and survives its own failures
        return jobs_run_due_threads(worker=worker, threads=threads)
    except (DatabaseError, PyMongoError) as exc:
        logger.warning("database unavailable, will retry: %s", exc)
        return 0


def worker_loop(*, worker: str, poll_seconds: float, should_stop: Callable[[], bool], threads: int = 1) -> None:
    last_sweep = last_mailbox = last_retrain_check = last_dashboard_check = float("-inf")
    while not should_stop():
        if time.monotonic() - last_retrain_check >= settings.SPAM_RETRAIN_CHECK_SECONDS:
            last_retrain_check = time.monotonic()
            import_string(SPAM_RETRAIN_HOOK)()  # retrains in a thread of its own when due (issue 16)
        if time.monotonic() - last_dashboard_check >= DASHBOARD_CHECK_SECONDS:
            last_dashboard_check = time.monotonic()
            import_string(DASHBOARD_HOOK)()  # the dashboard's figures, in a thread of its own when due
        sweep = time.monotonic() - last_sweep >= SWEEP_EVERY_SECONDS
        if sweep:
            last_sweep = time.monotonic()
        mailbox = time.monotonic() - last_mailbox >= settings.IMAP_POLL_SECONDS
        if mailbox:
            last_mailbox = time.monotonic()
        try:
            attempted = worker_tick(worker=worker, sweep=sweep, mailbox=mailbox, threads=threads)
        except Exception:  # a bug in one pass must not stop the deliveries of the next
            logger.exception("worker pass failed")
            attempted = 0
        if attempted == 0:
            deadline = time.monotonic() + poll_seconds
            while time.monotonic() < deadline and not should_stop():
                time.sleep(0.1)
