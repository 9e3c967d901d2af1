"""Load benchmark (run by hand, loopback only, bounded in time): N concurrent visitors load `/`
and submit the contact form against run_web + outbox workers sharing one embedded database.

    .venv/bin/python benchmarks/load.py [--visitors 50] [--seconds 60] [--webs 1] [--web-threads 8] [--outbox-workers 1]

`--webs 2 --web-threads 4 --outbox-workers 2` runs two separate web processes and two workers.
Prints requests per second, p50/p95/p99 per request kind, errors, and checks that every
accepted submission was stored once and mailed (staff notification + visitor confirmation).
Issue 15: first the idle p50 of `GET /` (one client, one request at a time), then the loaded p95 as a
ratio of it (target <= 10), and how long the outbox takes to drain after the load (target < 30 s).
Each visitor goes where a browser goes: `/`, the form's POST, and the thanks page the POST redirects to,
which shows (and so clears) the flash message. A client that skipped it would carry the message back to
`/`, whose cached page is then rendered in full for it: 19 ms of CPU instead of 1.6 ms.
The visitors get their cookies before the clock starts, and what starts in the first --warmup seconds
(all visitors arriving in the same instant) is counted for errors and submissions, but left out of the
percentiles and printed on its own line.
"""
import argparse
import re
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiosmtpd.controller import Controller  # noqa: E402
from pymongo import MongoClient  # noqa: E402

from tests.dbserver import DatabaseServer, free_port  # noqa: E402
from tests.stack import Stack, Visitor, stack_env  # noqa: E402


class Mailbox:
    def __init__(self) -> None:
        self.rcpts: Counter = Counter()

    async def handle_DATA(self, server, session, envelope) -> str:
        self.rcpts.update(envelope.rcpt_tos)
        return "250 OK"


def _hidden(html: str, name: str) -> str:
    """The value of a hidden field in the page the visitor loaded, as a browser would post it."""
    match = re.search(rf'name="{name}" value="([^"]*)"', html) or re.search(rf'value="([^"]*)"[^>]*name="{name}"', html)
    return match.group(1) if match else ""


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visitors", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--webs", type=int, default=1, help="separate web processes")
    parser.add_argument("--web-threads", type=int, default=8, help="request threads per web process")
    parser.add_argument("--outbox-workers", type=int, default=1)
    parser.add_argument("--warmup", type=float, default=2, help="seconds at the start left out of the percentiles")
    args = parser.parse_args()

    server = DatabaseServer()
    server.start()
    mailbox = Mailbox()
    smtp_port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    env = stack_env(
        mongodb_uri=server.uri, spool_dir=tempfile.mkdtemp(prefix="load-spool-"), smtp_port=smtp_port,
        CONTACT_MIN_FILL_SECONDS="0", CONTACT_RATE_IP="100000000", CONTACT_RATE_EMAIL="100000000",
        CONTACT_NOTIFY_EMAILS="team@load.test", OUTBOX_RETRY_BASE_SECONDS="1",
    )
    import subprocess

    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=Path(__file__).resolve().parent.parent, env=env, check=True)
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=Path(__file__).resolve().parent.parent, env=env, check=True)
    stack = Stack(env=env)
    try:
        urls = [stack.start_web(threads=args.web_threads) for _ in range(args.webs)]
        for _ in range(args.outbox_workers):
            stack.start_worker()
        idle_client = Visitor(urls[0])
        idle = []
        for _ in range(200):
            start = time.perf_counter()
            assert idle_client.session.get(idle_client.base + "/", timeout=30).status_code == 200
            idle.append(time.perf_counter() - start)
        print(f"idle GET /: p50 {pct(idle, .5):.1f} ms, p95 {pct(idle, .95):.1f} ms (200 requests, one at a time)")
        timings: dict[str, list[float]] = {"GET /": [], "POST /contact/": [], "GET /contact/thanks/": []}
        warmup_gets: list[float] = []
        requests_made = [0]
        errors: Counter = Counter()
        accepted: list[str] = []
        lock = threading.Lock()
        with ThreadPoolExecutor(args.visitors) as pool:
            clients = list(pool.map(lambda n: Visitor(urls[n % len(urls)]), range(args.visitors)))
        load_start = time.monotonic()
        deadline = load_start + args.seconds
        counted_from = load_start + args.warmup

        def visitor(n: int) -> None:
            client = clients[n]
            i = 0
            while time.monotonic() < deadline:
                i += 1
                warm = time.monotonic() < counted_from
                start = time.perf_counter()
                page = client.session.get(client.base + "/", timeout=60)
                got = time.perf_counter() - start
                idem = uuid.uuid4().hex
                data = {"name": f"Load {n}", "email": f"load{n}-{i}@example.com", "subject": "Load test",
                        "message": "We would like to talk about a new website and campaign.", "consent": "on",
                        "form_ts": _hidden(page.text, "form_ts"), "idem": idem}
                start = time.perf_counter()
                response = client.submit(data)
                posted = time.perf_counter() - start
                thanks = None
                if response.status_code == 302:
                    start = time.perf_counter()
                    thanks = client.session.get(client.base + response.headers["Location"], timeout=60)
                    thanked = time.perf_counter() - start
                with lock:
                    if warm:
                        warmup_gets.append(got)
                    else:
                        timings["GET /"].append(got)
                        timings["POST /contact/"].append(posted)
                    if page.status_code != 200:
                        errors[f"GET / {page.status_code}"] += 1
                    if response.status_code == 302:
                        accepted.append(idem)
                    else:
                        errors[f"POST {response.status_code}"] += 1
                    requests_made[0] += 2 if thanks is None else 3
                    if thanks is not None:
                        if not warm:
                            timings["GET /contact/thanks/"].append(thanked)
                        if thanks.status_code != 200:
                            errors[f"GET thanks {thanks.status_code}"] += 1

        with ThreadPoolExecutor(args.visitors) as pool:
            list(pool.map(visitor, range(args.visitors)))
        elapsed = time.monotonic() - load_start
        total = requests_made[0]
        print(f"{args.visitors} visitors, {elapsed:.0f} s, {args.webs} web process(es) x {args.web_threads} threads, {args.outbox_workers} outbox worker(s)")
        print(f"requests: {total}  ({total / elapsed:.1f} req/s; {len(accepted) / elapsed:.1f} submissions/s)")
        for kind, values in timings.items():
            print(f"  {kind:20} n={len(values):6}  p50 {pct(values, .5):7.1f} ms  p95 {pct(values, .95):7.1f} ms  p99 {pct(values, .99):7.1f} ms")
        print(f"  first {args.warmup:g} s (not in the percentiles): GET / n={len(warmup_gets)}  p50 {pct(warmup_gets, .5):.1f} ms  p95 {pct(warmup_gets, .95):.1f} ms")
        print(f"errors: {sum(errors.values())} {dict(errors)}")
        print(f"GET / p95 under load / idle p50: x{pct(timings['GET /'], .95) / pct(idle, .5):.1f} (target <= 10)")

        db = MongoClient(server.uri)["maniva"]
        drain_start = time.monotonic()
        backlog = db.contact_outboxjob.count_documents({"status": "pending"})
        while db.contact_outboxjob.count_documents({"status": "pending"}) and time.monotonic() - drain_start < 900:
            time.sleep(0.2)
        drained = time.monotonic() - drain_start
        stored = Counter(doc["idempotency_key"] for doc in db.contact_message.find({}, {"idempotency_key": 1}))
        once = sum(1 for idem in accepted if stored[idem] == 1)
        print(f"stored exactly once: {once}/{len(accepted)} accepted; documents: {sum(stored.values())}")
        staff = mailbox.rcpts["team@load.test"]
        confirmations = Counter({k: v for k, v in mailbox.rcpts.items() if k != "team@load.test"})
        dead = db.contact_outboxjob.count_documents({"status": "dead"})
        addresses = {doc["email"] for doc in db.contact_message.find({"idempotency_key": {"$in": accepted}}, {"email": 1})}
        mailed_once = sum(1 for address in addresses if confirmations[address] == 1)
        print(f"mailed: {staff} staff notifications, {sum(confirmations.values())} confirmations for {len(accepted)} accepted "
              f"(dead letters: {dead}); each accepted visitor confirmed exactly once: {mailed_once}/{len(addresses)}")
        print(f"outbox: {backlog} jobs pending when the load ended, drained in {drained:.1f} s (target < 30 s)")
        ok = not errors and once == len(accepted) == len(addresses) == mailed_once and staff == len(accepted)
        print("every submission stored once and mailed, no errors:", "yes" if ok else "NO")
    finally:
        stack.stop()
        controller.stop()
        server.close()


if __name__ == "__main__":
    main()
