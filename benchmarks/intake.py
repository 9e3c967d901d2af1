"""Intake benchmark (run by hand): does SMTP speed reach the visitor's POST, and what does the
whole request cost against a bare insert?

    .venv/bin/python benchmarks/intake.py [--posts 200]

1. p50/p95 of the contact POST (Django test client, real database) with an SMTP server that
   answers at once, and with one that stalls 2 s per message, while a worker drains the outbox
   in a background thread. Ratio of the two p50s (target ≤ 1.2): the POST must not wait for SMTP.
2. POSTs per second against the web server (run_web, 8 threads) over loopback (8 client threads) versus a
   bare pymongo insert loop (one thread, and eight) on the same server, as ratios.
3. What durability costs: the same throughputs on a server without --sync-on-commit, the site
   asking for w=1 without the journal, as ratios.
"""
import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.dbserver import DatabaseServer, free_port  # noqa: E402
from tests.stack import Stack, Visitor, stack_env  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def start_smtp(stall: float):
    from aiosmtpd.controller import Controller

    class Handler:
        received = 0

        async def handle_DATA(self, server, session, envelope):
            await asyncio.sleep(stall)
            Handler.received += 1
            return "250 OK"

    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    return controller, port, Handler


def django_setup(uri: str, spool: str) -> None:
    os.environ.update(
        MONGODB_URI=uri, DJANGO_SECRET_KEY="bench-" + "x" * 50, DJANGO_HTTPS="false", DJANGO_DEBUG="false",
        DJANGO_ALLOWED_HOSTS="testserver,127.0.0.1", CONTACT_SPOOL_DIR=spool, CONTACT_NOTIFY_EMAILS="team@bench.test",
        CONTACT_RATE_IP="1000000", CONTACT_RATE_EMAIL="1000000", CONTACT_MIN_FILL_SECONDS="0",
        DJANGO_SETTINGS_MODULE="maniva_webapp.settings",
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)


def form(i: int) -> dict:
    from contact.forms import signed_form_timestamp

    return {
        "name": f"Visitor {i}", "email": f"v{i}@bench.example", "subject": "A new website",
        "message": "We are a small company looking for a new website and some marketing help.",
        "consent": "on", "form_ts": signed_form_timestamp(time.time() - 30), "idem": uuid.uuid4().hex,
    }


def post_latencies(posts: int, stall: float) -> tuple[list[float], int]:
    from django.conf import settings
    from django.test import Client

    from contact.worker import jobs_run_due

    controller, port, handler = start_smtp(stall)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"  # chosen at start-up without EMAIL_HOST
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    stop = threading.Event()

    def worker():
        while not stop.is_set():
            if jobs_run_due(worker="bench", limit=10) == 0:
                time.sleep(0.05)

    thread = threading.Thread(target=worker, daemon=True)
    thread.start()
    client = Client()
    latencies = []
    for i in range(posts):
        start = time.perf_counter()
        response = client.post("/contact/", form(i + int(stall * 1e6)))
        latencies.append(time.perf_counter() - start)
        assert response.status_code == 302, response.status_code
    stop.set()
    thread.join()
    controller.stop()
    return latencies, handler.received


def web_throughput(uri: str, spool: str, seconds: float) -> float:
    """Browser-like visitors (CSRF cookie, then POST) against the web server (run_web, 8 threads)."""
    stack = Stack(env=stack_env(mongodb_uri=uri, spool_dir=spool, smtp_port=free_port(), CONTACT_RATE_IP="1000000", CONTACT_RATE_EMAIL="1000000", CONTACT_MIN_FILL_SECONDS="0"))
    url = stack.start_web(threads=8)
    deadline = time.monotonic() + seconds
    counter = [0]
    lock = threading.Lock()

    def visitor(n: int) -> None:
        client = Visitor(url)
        i = 0
        while time.monotonic() < deadline:
            i += 1
            response = client.submit(form(n * 10**6 + i))
            assert response.status_code == 302, response.status_code
            with lock:
                counter[0] += 1

    start = time.monotonic()
    try:
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(visitor, range(8)))
    finally:
        stack.stop()
    return counter[0] / (time.monotonic() - start)


def pymongo_throughput(uri: str, seconds: float, threads: int) -> float:
    from pymongo import MongoClient

    collection = MongoClient(uri)["bench_bare"]["messages"]
    deadline = time.monotonic() + seconds
    counter = [0]
    lock = threading.Lock()

    def loop(n: int) -> None:
        while time.monotonic() < deadline:
            collection.insert_one({**form(n), "received_at": time.time()})
            with lock:
                counter[0] += 1

    start = time.monotonic()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(loop, range(threads)))
    return counter[0] / (time.monotonic() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=15)
    args = parser.parse_args()
    server = DatabaseServer()
    server.start()
    spool = tempfile.mkdtemp(prefix="bench-spool-")
    try:
        django_setup(server.uri, spool)
        fast, _ = post_latencies(args.posts, stall=0)
        slow, received = post_latencies(args.posts, stall=2.0)
        p50_fast, p50_slow = statistics.median(fast), statistics.median(slow)
        print(f"contact POST, SMTP instant : p50 {p50_fast*1000:.1f} ms  p95 {percentile(fast, .95)*1000:.1f} ms  ({len(fast)} posts)")
        print(f"contact POST, SMTP stalls 2s: p50 {p50_slow*1000:.1f} ms  p95 {percentile(slow, .95)*1000:.1f} ms  ({received} mails delivered meanwhile)")
        print(f"ratio of p50s (stalling / instant): {p50_slow / p50_fast:.2f}  (target <= 1.2)")
        web = web_throughput(server.uri, spool, args.seconds)
        bare_loop = pymongo_throughput(server.uri, args.seconds, threads=1)
        bare_8 = pymongo_throughput(server.uri, args.seconds, threads=8)
        print(f"run_web 8 threads, 8 clients  : {web:.1f} POST/s")
        print(f"bare pymongo insert loop      : {bare_loop:.1f} inserts/s  (ratio web / loop {web / bare_loop:.2f})")
        print(f"bare pymongo insert, 8 threads: {bare_8:.1f} inserts/s  (ratio web / 8 threads {web / bare_8:.2f})")
        fast_server = DatabaseServer(durable=False)
        fast_server.start()
        try:
            # the baseline gives up both guarantees: the server's sync and the client's j=true
            web_fast = web_throughput(fast_server.uri + "?w=1&journal=false", spool, args.seconds)
            loop_fast = pymongo_throughput(fast_server.uri, args.seconds, threads=1)
        finally:
            fast_server.close()
        print(f"without --sync-on-commit       : {web_fast:.1f} POST/s, {loop_fast:.1f} inserts/s")
        print(f"durability costs               : POST/s x{web / web_fast:.2f}, insert loop x{bare_loop / loop_fast:.2f} (durable / not)")
    finally:
        server.close()


if __name__ == "__main__":
    main()
