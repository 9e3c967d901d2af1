"""Intake benchmark (run by hand): does SMTP speed reach the visitor's POST, and what does the
whole request cost against a bare insert?

    .venv/bin/python benchmarks/intake.py [--posts 200]

1. p50/p95 of the contact POST (Django test client, real database) with an SMTP server that
   answers at once, and with one that stalls 2 s per message, while a worker drains the outbox
   in a background thread. Ratio of the two p50s (target ≤ 1.2): the POST must not wait for SMTP.
2. POSTs per second against the web server (run_web, 8 threads) over loopback (8 client threads) versus a
   bare pymongo insert loop (one thread, and eight) on the same server, as ratios.
   With each, the CPU time per POST (per insert) of every process taking part, read from /proc: the
   web server's two processes, the database server, and this process's client threads. All of them
   share this machine's cores, so their sum bounds the throughput any code could reach here:
   cores / CPU per POST, printed as a ceiling and as its ratio to the loop.
3. What durability costs: the same throughputs on a server without --sync-on-commit, the site
   asking for w=1 without the journal, as ratios.
0. First, cost against size (issue 15): p50 wall and database time and the round trips of one accepted
   POST (counted by a pymongo CommandListener, only the POSTing thread's commands) with 300 leads
   stored and with 30,000 (seeded by insert_many of contact.leads.lead_document), in two databases
   of one server, one POST to each in turn; ratios of the two.
   `--sizes-only` stops after this part.
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

from pymongo import monitoring

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.dbserver import DatabaseServer, free_port  # noqa: E402
from tests.stack import Stack, Visitor, stack_env  # noqa: E402


class RoundTrips(monitoring.CommandListener):
    """A pymongo CommandListener (registered before any client exists) that counts, for one thread
    at a time, the commands sent and the time the server took to answer them."""

    def __init__(self) -> None:
        self.thread: int | None = None
        self.commands: list[str] = []
        self.seconds = 0.0

    def watch(self) -> None:
        self.thread, self.commands, self.seconds = threading.get_ident(), [], 0.0

    def started(self, event) -> None:
        if threading.get_ident() == self.thread:
            self.commands.append(f"{event.command_name} {event.command.get(event.command_name)}")

    def succeeded(self, event) -> None:
        if threading.get_ident() == self.thread:
            self.seconds += event.duration_micros / 1e6

    def failed(self, event) -> None:
        self.succeeded(event)


ROUND_TRIPS = RoundTrips()


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


def use_database(name: str) -> None:
    """Point the site's connection at database `name` of the same server (the same client)."""
    from django.db import connection

    connection.ensure_connection()
    connection.database = connection.connection[name]


def leads_seed(leads: int, offset: int) -> None:
    """Top the lead collection up to `leads` documents (insert_many of contact.leads.lead_document)."""
    from django.utils import timezone

    from contact.leads import lead_collection, lead_document

    collection = lead_collection()
    missing = leads - collection.count_documents({})
    now = timezone.now()
    for start in range(0, max(missing, 0), 5000):
        collection.insert_many([
            lead_document(email=f"seed{offset + start + n}@seed.example", name=f"Seed {n}", created_at=now, last_activity_at=now)
            for n in range(min(5000, missing - start))
        ])


def timed_post(client, data: dict) -> tuple[float, float, list[str]]:
    """(wall seconds, database seconds, commands) of one accepted POST."""
    ROUND_TRIPS.watch()
    start = time.perf_counter()
    response = client.post("/contact/", data)
    wall = time.perf_counter() - start
    ROUND_TRIPS.thread = None
    assert response.status_code == 302, response.status_code
    return wall, ROUND_TRIPS.seconds, ROUND_TRIPS.commands


def size_comparison(posts: int) -> None:
    """POSTs at 300 and at 30,000 leads, one of each in turn (two databases on one server): a burst
    of load on the machine then falls on both sizes alike, and their ratio holds."""
    from collections import Counter

    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    from contact.leads import lead_collection

    names = {300: settings.DATABASES["default"]["NAME"], 30_000: settings.DATABASES["default"]["NAME"] + "_30k"}
    for leads, name in names.items():
        use_database(name)
        call_command("migrate", verbosity=0)
        leads_seed(leads, offset=leads * 100)
    client = Client()
    figures: dict[int, list[tuple[float, float, list[str]]]] = {leads: [] for leads in names}
    for i in range(posts):
        for leads, name in names.items():
            use_database(name)
            figures[leads].append(timed_post(client, form(leads * 100 + 10**7 + i)))
    medians = {}
    for leads, samples in figures.items():
        use_database(names[leads])
        walls, db_times, trips = (statistics.median(x[0] for x in samples), statistics.median(x[1] for x in samples), [len(x[2]) for x in samples])
        medians[leads] = walls, db_times
        print(f"POST at {lead_collection().count_documents({}):>6} leads: p50 {walls*1000:.1f} ms wall, "
              f"{db_times*1000:.1f} ms database; round trips per accepted POST: median {statistics.median(trips):.0f}, "
              f"max {max(trips)} ({', '.join(f'{n} {c}' for c, n in Counter(samples[-1][2]).items())})")
    (wall_small, db_small), (wall_big, db_big) = medians[300], medians[30_000]
    print(f"30,000 / 300 leads (POSTs in turn): wall p50 x{wall_big / wall_small:.2f}, database p50 x{db_big / db_small:.2f}  (target <= 1.3)")
    # the seeded leads are new to this process; their second round it has seen (contact.lead_ids)
    for seen in ("not seen by this process", "seen by this process"):
        samples = []
        for i in range(posts):
            data = form(30_000 * 100 + 10**7 + i)
            data["email"] = f"seed{30_000 * 100 + i}@seed.example"
            samples.append(timed_post(client, data))
        print(f"a returning visitor's POST at 30,000 leads, {seen}: p50 {statistics.median(x[0] for x in samples)*1000:.1f} ms wall, "
              f"{statistics.median(x[1] for x in samples)*1000:.1f} ms database; round trips: max {max(len(x[2]) for x in samples)} "
              f"({', '.join(f'{n} {c}' for c, n in Counter(samples[-1][2]).items())})")
    plans()
    use_database(names[300])


def plans() -> None:
    """explain of each query of the POST: the indexed equality of each filter (SecantusDB's explain
    reports a scan for an indexed equality with residual conditions, though it runs them through
    the index: tests/dbcompat), the whole filter on any other server."""
    from bson import ObjectId
    from django.db import connection
    from django.utils import timezone

    from contact import ratelimit
    from contact.leads import lead_collection, lead_intake_query

    now = timezone.now()
    queries = {
        "rate limits (update, per counter)": (
            connection.get_collection(ratelimit.COLLECTION), ratelimit.admit_update(ratelimit.Counter("ip", "1.2.3.4", 5, 600), "t", now)[0], ["_id"]),
        "lead (update, upsert)": (lead_collection(), lead_intake_query(email="v1@bench.example", key="k", received_at=now, spam=False), ["email"]),
        "a returning lead's _id (find)": (lead_collection(), {"email": "v1@bench.example"}, ["email"]),
        "a remembered lead (update by _id)": (
            lead_collection(), {"_id": ObjectId(), **lead_intake_query(email="v1@bench.example", key="k", received_at=now, spam=False)}, ["_id"]),
    }
    embedded = connection.embedded_server
    for what, (collection, query, fields) in queries.items():
        explained = collection.find({f: query[f] for f in fields} if embedded else query).explain()
        plan, stages = explained["queryPlanner"]["winningPlan"], []
        while plan:
            stages.append(plan.get("stage") + (f"({plan['indexName']})" if plan.get("indexName") else ""))
            plan = plan.get("inputStage")
        print(f"explain {what}: {' <- '.join(stages)}")
    print("the message and its two outbox jobs are inserts (no query); their unique keys are checked through their indexes")


def cpu_seconds(pid: int) -> float:
    """User and system CPU seconds a process has used (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def child_pids(pid: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                children.append(int(stat.parent.name))
        except (OSError, ValueError):
            pass  # a process that ended meanwhile
    return children


class CpuMeter:
    """CPU seconds used meanwhile by each named process (`None`: this one, all its threads)."""

    def __init__(self, pids: dict[str, int | None]) -> None:
        self.pids = pids
        self.used: dict[str, float] = {}

    def _now(self) -> dict[str, float]:
        return {name: cpu_seconds(pid) if pid else sum(os.times()[:2]) for name, pid in self.pids.items()}

    def __enter__(self) -> "CpuMeter":
        self._start = self._now()
        return self

    def __exit__(self, *exc) -> None:
        self.used = {name: seconds - self._start[name] for name, seconds in self._now().items()}

    def per_unit(self, units: int) -> str:
        total = sum(self.used.values())
        parts = ", ".join(f"{name} {seconds / units * 1000:.1f}" for name, seconds in self.used.items())
        return f"{parts}; total {total / units * 1000:.1f} ms"

    def ceiling(self, units: int, without: tuple[str, ...] = ()) -> float:
        """Units per second if this machine's every core did nothing but this work (`without` the
        named processes)."""
        return os.cpu_count() * units / sum(seconds for name, seconds in self.used.items() if name not in without)


def web_throughput(uri: str, spool: str, seconds: float, db_pid: int) -> tuple[float, CpuMeter, int]:
    """Browser-like visitors (CSRF cookie, then POST) against the web server (run_web, 8 threads):
    POST/s, the CPU each process spent, and the POSTs."""
    stack = Stack(env=stack_env(mongodb_uri=uri, spool_dir=spool, smtp_port=free_port(), CONTACT_RATE_IP="1000000", CONTACT_RATE_EMAIL="1000000", CONTACT_MIN_FILL_SECONDS="0"))
    url = stack.start_web(threads=8)
    front = stack.webs[-1].pid
    meter = CpuMeter({"web front": front, "web app": child_pids(front)[0], "database": db_pid, "clients": None})
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
        with meter, ThreadPoolExecutor(8) as pool:
            list(pool.map(visitor, range(8)))
    finally:
        stack.stop()
    return counter[0] / (time.monotonic() - start), meter, counter[0]


def pymongo_throughput(uri: str, seconds: float, threads: int, db_pid: int) -> tuple[float, CpuMeter, int]:
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
    with CpuMeter({"database": db_pid, "client": None}) as meter, ThreadPoolExecutor(threads) as pool:
        list(pool.map(loop, range(threads)))
    return counter[0] / (time.monotonic() - start), meter, counter[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--size-posts", type=int, default=100, help="POSTs timed at each lead count")
    parser.add_argument("--sizes-only", action="store_true")
    args = parser.parse_args()
    monitoring.register(ROUND_TRIPS)  # before any client exists, so the site's client reports too
    server = DatabaseServer()
    server.start()
    spool = tempfile.mkdtemp(prefix="bench-spool-")
    try:
        django_setup(server.uri, spool)
        size_comparison(args.size_posts)
        if args.sizes_only:
            return
        fast, _ = post_latencies(args.posts, stall=0)
        slow, received = post_latencies(args.posts, stall=2.0)
        p50_fast, p50_slow = statistics.median(fast), statistics.median(slow)
        print(f"contact POST, SMTP instant : p50 {p50_fast*1000:.1f} ms  p95 {percentile(fast, .95)*1000:.1f} ms  ({len(fast)} posts)")
        print(f"contact POST, SMTP stalls 2s: p50 {p50_slow*1000:.1f} ms  p95 {percentile(slow, .95)*1000:.1f} ms  ({received} mails delivered meanwhile)")
        print(f"ratio of p50s (stalling / instant): {p50_slow / p50_fast:.2f}  (target <= 1.2)")
        db_pid = server.process.pid
        web, web_cpu, posts = web_throughput(server.uri, spool, args.seconds, db_pid)
        bare_loop, loop_cpu, inserts = pymongo_throughput(server.uri, args.seconds, threads=1, db_pid=db_pid)
        bare_8, _, _ = pymongo_throughput(server.uri, args.seconds, threads=8, db_pid=db_pid)
        print(f"run_web 8 threads, 8 clients  : {web:.1f} POST/s")
        print(f"bare pymongo insert loop      : {bare_loop:.1f} inserts/s  (ratio web / loop {web / bare_loop:.2f}, target >= 0.3)")
        print(f"bare pymongo insert, 8 threads: {bare_8:.1f} inserts/s  (ratio web / 8 threads {web / bare_8:.2f})")
        print(f"CPU per POST   : {web_cpu.per_unit(posts)}")
        print(f"CPU per insert : {loop_cpu.per_unit(inserts)}")
        ceiling, site_ceiling = web_cpu.ceiling(posts), web_cpu.ceiling(posts, without=("clients",))
        print(f"ceiling on {os.cpu_count()} cores at that CPU per POST: {ceiling:.1f} POST/s = x{ceiling / bare_loop:.2f} the loop; "
              f"without the clients' CPU {site_ceiling:.1f} POST/s = x{site_ceiling / bare_loop:.2f}; "
              f"x0.3 the loop leaves {os.cpu_count() * 1000 / (0.3 * bare_loop):.1f} ms of CPU per POST in all")
        fast_server = DatabaseServer(durable=False)
        fast_server.start()
        try:
            # the baseline gives up both guarantees: the server's sync and the client's j=true
            web_fast, _, _ = web_throughput(fast_server.uri + "?w=1&journal=false", spool, args.seconds, fast_server.process.pid)
            loop_fast, _, _ = pymongo_throughput(fast_server.uri, args.seconds, threads=1, db_pid=fast_server.process.pid)
        finally:
            fast_server.close()
        print(f"without --sync-on-commit       : {web_fast:.1f} POST/s, {loop_fast:.1f} inserts/s")
        print(f"durability costs               : POST/s x{web / web_fast:.2f}, insert loop x{bare_loop / loop_fast:.2f} (durable / not)")
    finally:
        server.close()


if __name__ == "__main__":
    main()
