"""Faults with real servers and real processes: two gunicorn web processes and two outbox workers
share one database while the database is killed and restarted during a burst of submissions,
the SMTP server is down for a while, a worker is killed mid-job, and the push service answers
500 then 410. Afterwards every accepted submission exists exactly once, and every delivery
happened exactly once or sits in the dead-letter list with its reason."""
import asyncio
import os
import signal
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from contact.forms import signed_form_timestamp
from contact.models import Message, OutboxJob, OutboxStatus, PushSubscription
from tests.dbserver import free_port
from tests.stack import Stack, Visitor, stack_env


class StallingMailbox:
    """Records mail; stalls the first recipient command so that a worker can be killed mid-job."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, str]] = []
        self.stalling = threading.Event()
        self.stalled_once = False

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if not self.stalled_once:
            self.stalled_once = True
            self.stalling.set()
            await asyncio.sleep(6)
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
    push_service.script["desk"] = [500, 410]

    smtp_port = free_port()  # nothing listens here yet: the SMTP server is down
    db_name = settings.DATABASES["default"]["NAME"]
    env = stack_env(
        mongodb_uri=f"mongodb://127.0.0.1:{db_server.port}/{db_name}",
        spool_dir=tempfile.mkdtemp(prefix="faults-spool-"),
        smtp_port=smtp_port,
        MONGODB_TIMEOUT_MS="1000",
        OUTBOX_RETRY_BASE_SECONDS="1",
        OUTBOX_RETRY_MAX_SECONDS="3",
        OUTBOX_LEASE_SECONDS="8",  # longer than the 6 s stall: only a dead worker loses its job
        OUTBOX_MAX_ATTEMPTS="30",
        CONTACT_MIN_FILL_SECONDS="0",
        CONTACT_RATE_IP="100000",
        CONTACT_RATE_EMAIL="100000",
        CONTACT_NOTIFY_EMAILS="team@maniva.test",
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

        controller = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
        controller.start()  # the SMTP server comes up
        assert mailbox.stalling.wait(30), "a worker started sending"
        holder = OutboxJob.objects.filter(locked_until__gt=timezone.now(), kind__endswith="email").first()
        victim_pid = int(holder.locked_by.split(":")[1])
        os.kill(victim_pid, signal.SIGKILL)  # killed mid-job, its lease runs out, the other worker takes over

        def settled() -> bool:
            return not OutboxJob.objects.filter(status=OutboxStatus.PENDING).exists()

        _wait(settled, 120, "the outbox to settle")
    finally:
        stack.stop()
        if controller:
            controller.stop()

    idems = Counter(Message.objects.values_list("idempotency_key", flat=True))
    assert sorted(idems) == sorted(accepted) and set(idems.values()) == {1}, "every accepted submission exactly once"
    dead = list(OutboxJob.objects.filter(status=OutboxStatus.DEAD))
    assert all(job.last_error for job in dead)
    delivered = Counter(rcpt for rcpt, _ in mailbox.messages)
    dead_rcpts = Counter()
    for job in dead:
        message = Message.objects.get(pk=job.payload["message_id"])
        dead_rcpts["team@maniva.test" if job.kind == "staff_email" else message.email] += 1
    assert delivered["team@maniva.test"] + dead_rcpts["team@maniva.test"] == 36, "one staff mail per message"
    for i in range(36):
        assert delivered[f"burst{i}@example.com"] + dead_rcpts[f"burst{i}@example.com"] == 1, f"one confirmation for burst{i}"
    assert not PushSubscription.objects.exists(), "410 removed the subscription"
    assert push_service.script["desk"] == [] and push_service.received == []
    assert not dead, f"nothing should be left dead here: {[(j.kind, j.last_error) for j in dead]}"
