"""Faults with real servers and real processes: two web processes (run_web) and two outbox workers
share one database while the database is killed and restarted during a burst of submissions,
the SMTP server is down for a while, a worker is killed mid-job, and the push service answers
500 then 410. Afterwards every accepted submission exists exactly once, and every delivery
happened exactly once or sits in the dead-letter list with its reason, but for the one mail the
killed worker's other thread may have had accepted by the SMTP server and not yet marked done:
delivery is at least once, and that mail may go twice (README, run_worker).

Two workers interleave as they like, so the assertions hold whatever the order: counts per
recipient and per job, never counts of requests that depend on which worker got there first."""
import asyncio
import os
import re
import signal
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from contact.forms import signed_form_timestamp
from contact.models import Message, OutboxJob, OutboxStatus, PushSubscription
from tests.helpers import SocketController, bound_socket
from tests.stack import Stack, Visitor, stack_env

STAFF = "team@maniva.test"


class StallingMailbox:
    """Records mail; holds the first visitor confirmation at its recipient command until released, so
    that the worker sending it can be killed mid-job. A confirmation's recipient names its message,
    hence its job, hence the worker holding that job: the right worker is killed, not a guessed one."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, str]] = []
        self.stalling = threading.Event()
        self.release = threading.Event()
        self.stalled_rcpt = ""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if not self.stalling.is_set() and address != STAFF:  # no await between test and set: one stall only
            self.stalled_rcpt = address
            self.stalling.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        subject = next((line for line in envelope.content.decode(errors="replace").splitlines() if line.startswith("Subject:")), "")
        for rcpt in envelope.rcpt_tos:
            self.messages.append((rcpt, subject))
        return "250 OK"


def _form(i: int) -> dict:
    return {
        "name": f"Burst {i}", "email": f"burst{i}@example.com", "subject": f"Burst message {i}",
        "message": "We would like a quote for a new website and a marketing plan.", "consent": "on",
        "form_ts": signed_form_timestamp(time.time() - 30), "idem": uuid.uuid4().hex,
    }


def _wait(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pending = OutboxJob.objects.filter(status=OutboxStatus.PENDING).values_list("kind", "attempts", "locked_by", "run_after", "last_error")
            pytest.fail(f"timed out waiting for {what}; now {timezone.now()}, pending: {list(pending)[:5]}")
        time.sleep(0.25)


def test_burst_survives_database_smtp_worker_and_push_faults(transactional_db, db_server, push_service):
    staff = get_user_model().objects.create(username="desk", is_staff=True)
    PushSubscription.objects.create(user=staff, created_at=timezone.now(), **push_service.subscribe("desk"))
    push_service.script["desk"] = [500, 410]  # then 410 for good, as a real push service does

    smtp_socket = bound_socket()  # nothing listens here yet: the SMTP server is down
    smtp_port = smtp_socket.getsockname()[1]
    db_name = settings.DATABASES["default"]["NAME"]
    env = stack_env(
        mongodb_uri=f"mongodb://127.0.0.1:{db_server.port}/{db_name}",
        spool_dir=tempfile.mkdtemp(prefix="faults-spool-"),
        smtp_port=smtp_port,
        MONGODB_TIMEOUT_MS="1000",
        OUTBOX_RETRY_BASE_SECONDS="1",
        OUTBOX_RETRY_MAX_SECONDS="3",
        OUTBOX_LEASE_SECONDS="15",  # from claim to kill takes well under this; then the other worker takes over
        OUTBOX_MAX_ATTEMPTS="1000",  # retries outlast every wait below: how long the SMTP server is down is timing
        CONTACT_MIN_FILL_SECONDS="0",
        CONTACT_RATE_IP="100000",
        CONTACT_RATE_EMAIL="100000",
        CONTACT_NOTIFY_EMAILS=STAFF,
        VAPID_PUBLIC_KEY=settings.VAPID_PUBLIC_KEY,
        VAPID_PRIVATE_KEY=settings.VAPID_PRIVATE_KEY,
        ANALYTICS_MODEL_PATH=os.environ["ANALYTICS_MODEL_PATH"],
    )
    stack = Stack(env=env)
    mailbox = StallingMailbox()
    controller = None
    try:
        web_urls = [stack.start_web(), stack.start_web()]
        visitors = [Visitor(url) for url in web_urls]
        stack.start_worker()
        stack.start_worker()

        accepted: list[str] = []

        def submit(i: int) -> None:
            data = _form(i)
            response = visitors[i % 2].submit(data)
            assert response.status_code == 302, (i, response.status_code)
            accepted.append(data["idem"])

        with ThreadPoolExecutor(4) as pool:
            list(pool.map(submit, range(0, 12)))
        db_server.stop()  # the database dies in the middle of the burst
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(submit, range(12, 24)))
        db_server.start()
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(submit, range(24, 36)))

        # The workers replay the spool once the database is back.
        _wait(lambda: Message.objects.count() == 36, 60, "spooled submissions to be replayed")

        controller = SocketController(mailbox, smtp_socket)
        controller.start()  # the SMTP server comes up
        assert mailbox.stalling.wait(30), "a worker started sending a confirmation"
        stalled = OutboxJob.objects.get(key=f"visitor_email:{Message.objects.get(email=mailbox.stalled_rcpt).pk}")
        assert stalled.locked_until > timezone.now(), "the stalled worker still holds its job"
        victim_pid = int(stalled.locked_by.split(":")[1])
        assert victim_pid in {worker.pid for worker in stack.workers}
        os.kill(victim_pid, signal.SIGKILL)  # killed mid-job, its lease runs out, the other worker takes over
        stack.workers[[worker.pid for worker in stack.workers].index(victim_pid)].wait(10)
        # What it held as it died (its leases outlive it by up to 15 s): its other thread may have had
        # a mail accepted by the SMTP server and not yet marked done, which the other worker sends again.
        held_at_death = set(OutboxJob.objects.filter(
            status=OutboxStatus.PENDING, locked_by__startswith=stalled.locked_by.split("/")[0]).values_list("key", flat=True))
        mailbox.release.set()  # the dead worker's session goes on to nothing: its DATA never comes

        def settled() -> bool:
            return not OutboxJob.objects.filter(status=OutboxStatus.PENDING).exists()

        _wait(settled, 120, "the outbox to settle")
    finally:
        stack.stop()
        mailbox.release.set()
        if controller:
            controller.stop()
        else:
            smtp_socket.close()

    idems = Counter(Message.objects.values_list("idempotency_key", flat=True))
    assert len(accepted) == 36 and sorted(idems) == sorted(accepted) and set(idems.values()) == {1}, "every accepted submission exactly once"
    dead = list(OutboxJob.objects.filter(status=OutboxStatus.DEAD))
    assert all(job.last_error for job in dead)
    # Each mail by its job's key: a confirmation by its recipient, a staff mail by the visitor it names.
    sent = Counter()
    for rcpt, subject in mailbox.messages:
        if rcpt == STAFF:
            sent["staff_email:" + str(Message.objects.get(name=re.search(r"from (Burst \d+):", subject).group(1)).pk)] += 1
        else:
            sent["visitor_email:" + str(Message.objects.get(email=rcpt).pk)] += 1
    dead_keys = {job.key for job in dead}
    twice = []
    for message in Message.objects.all():
        for key in (f"staff_email:{message.pk}", f"visitor_email:{message.pk}"):
            times = sent[key] + (key in dead_keys)
            assert times == 1 or (times == 2 and key in held_at_death), f"{key}: {times} times (held at death: {key in held_at_death})"
            twice += [key] if times == 2 else []
    assert len(twice) <= 1, f"at most the one mail in the killed worker's other thread's hands goes twice: {twice}"
    assert sent["visitor_email:" + str(Message.objects.get(email=mailbox.stalled_rcpt).pk)] == 1, \
        "the killed worker's stalled confirmation was sent once, by the other worker"
    assert not dead, f"nothing should be left dead here: {[(j.kind, j.last_error) for j in dead]}"

    # Push: the 500 was retried and the 410 removed the subscription. How many jobs had loaded the
    # subscription before it was deleted (and so met the gone endpoint), and whether the database
    # died between a send and its record (the send is then made again), is the workers' timing; what
    # must hold is that every push job finished, none is left to retry a gone device, and nothing
    # reached the device after it was gone.
    statuses = push_service.statuses("desk")
    assert statuses[:2] == [500, 410], statuses
    assert not PushSubscription.objects.exists(), "410 removed the subscription"
    push_jobs = list(OutboxJob.objects.filter(kind="push"))
    assert push_jobs and all((job.status, job.last_error) == (OutboxStatus.DONE, "") for job in push_jobs)
    assert push_service.received == [], "a gone endpoint accepts nothing"
