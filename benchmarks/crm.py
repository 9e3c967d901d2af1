"""CRM inbox benchmark: server time of the inbox against the bare pymongo query on the same server.

    .venv/bin/python benchmarks/crm.py [--messages 100000] [--sessions 10000] [--runs 20] [--uri mongodb://…/db]

Starts its own SecantusDB daemon (unless --uri), migrates, seeds with `seed_demo` and other
browsers' live sessions (every CRM request reads its own session by key among them), logs in a
Sales user with Django's test client and times, per case, the whole view (request → rendered
page, in process) and the bare pymongo query that returns the same lead ids. It also times a
full-scan case-insensitive $regex over the messages, which search must beat 10×, and the counts
per status (maintained, contact.lead_counts) against a full recount.
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

from pymongo import monitoring

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def start_server() -> tuple[subprocess.Popen, str, Path]:
    from pymongo import MongoClient

    from tests.dbserver import free_port

    port = free_port()
    storage = Path(tempfile.mkdtemp(prefix="maniva-bench-crm-"))
    daemon = Path(sys.executable).with_name("secantusd-py")
    process = subprocess.Popen(
        [str(daemon), "--host", "127.0.0.1", "--port", str(port), "--storage-path", str(storage / "data"), "--log-level", "ERROR",
         # 100k messages and their indexes outgrow the default 1 GB cache and 100,000-entry oplog, and
         # seeding then crawls in cache eviction and oplog pruning
         "--cache-size", "4G", "--oplog-max-entries", "10000000"],
        stdout=subprocess.DEVNULL,
    )
    uri = f"mongodb://127.0.0.1:{port}/crmbench"
    for _ in range(300):
        try:
            with MongoClient(uri, serverSelectionTimeoutMS=300) as client:
                client.admin.command("ping")
            break
        except Exception:
            time.sleep(0.1)
    return process, uri, storage


class RoundTrips(monitoring.CommandListener):
    """Counts the commands this process sends while armed, and the time their answers took (a
    pymongo CommandListener, registered before any client is made)."""

    def __init__(self) -> None:
        self.armed, self.sent, self.seconds = False, [], 0.0

    def started(self, event) -> None:
        if self.armed:
            self.sent.append(f"{event.command_name} {event.command.get(event.command_name)}")

    def succeeded(self, event) -> None:
        if self.armed:
            self.seconds += event.duration_micros / 1e6

    def failed(self, event) -> None:
        self.succeeded(event)

    def during(self, func) -> list[str]:
        self.armed, self.sent, self.seconds = True, [], 0.0
        try:
            func()
        finally:
            self.armed = False
        return self.sent


ROUND_TRIPS = RoundTrips()


def django_setup(uri: str) -> None:
    """Django on `uri`, production settings for a test client, static files unhashed, migrated."""
    os.environ.update(
        MONGODB_URI=uri, DJANGO_DEBUG="false", DJANGO_HTTPS="false", DJANGO_ALLOWED_HOSTS="testserver",
        DJANGO_SECRET_KEY=os.environ.get("DJANGO_SECRET_KEY", "benchmark-only-secret-key-0123456789abcdefghijklmnop"),
        DJANGO_SETTINGS_MODULE="maniva_webapp.settings", LOG_LEVEL="WARNING",
    )
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
    call_command("migrate", verbosity=0)


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


def interleaved(funcs: list, runs: int) -> list[tuple[list[float], object]]:
    """`timed` for several functions at once, one run of each in turn: on a shared machine a burst
    of load then falls on all of them alike, and their ratios hold."""
    samples = [[] for _ in funcs]
    results = [func() for func in funcs]  # warm-up
    for _ in range(runs):
        for n, func in enumerate(funcs):
            start = time.perf_counter()
            results[n] = func()
            samples[n].append(time.perf_counter() - start)
    return list(zip(samples, results))


def timed(func, runs: int) -> tuple[list[float], object]:
    func()  # warm-up
    samples, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = func()
        samples.append(time.perf_counter() - start)
    return samples, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--sessions", type=int, default=10_000, help="other live sessions stored")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--uri", help="use this (already seeded) database instead of starting one")
    args = parser.parse_args()
    monitoring.register(ROUND_TRIPS)
    with seeded_site(uri=args.uri, messages=args.messages, sessions=args.sessions):
        from django.db import connection

        run(args, connection.get_collection("contact_lead"), connection.get_collection("contact_message"))


@contextmanager
def seeded_site(*, uri: str | None, messages: int, sessions: int) -> Iterator[None]:
    """Django on `uri` as it is, or on a server of its own seeded by `seed_demo` with `messages`
    and with `sessions` other sessions (stopped and removed afterwards)."""
    process = storage = None
    if uri is None:
        process, uri, storage = start_server()
    try:
        django_setup(uri)
        if process:
            from django.core.management import call_command

            start = time.perf_counter()
            call_command("seed_demo", messages=messages)
            print(f"seeded {messages} messages in {time.perf_counter() - start:.0f} s")
            sessions_seed(sessions)
        yield
    finally:
        if process:
            process.terminate()
            process.wait(timeout=30)
            shutil.rmtree(storage, ignore_errors=True)


def sessions_seed(count: int) -> None:
    """Other browsers' sessions, live for a day, stored as Django stores them."""
    from datetime import timedelta

    from django.contrib.sessions.backends.db import SessionStore
    from django.db import connection
    from django.utils import timezone

    expire = timezone.now() + timedelta(days=1)
    data = SessionStore().encode({"_auth_user_id": "0" * 24})
    sessions = connection.get_collection("django_session")
    for start in range(0, count, 5000):
        sessions.insert_many([
            {"session_key": f"bench{n:035d}", "session_data": data, "expire_date": expire}
            for n in range(start, min(count, start + 5000))
        ])
    print(f"{sessions.count_documents({})} sessions stored")


def run(args, leads, messages) -> None:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client

    from contact.search import fold
    from contact.search import query_terms
    from maniva_crm.selectors.inbox import PER_PAGE, SORTS, InboxFilters, _newest, inbox_match
    from maniva_crm.services import SALES, roles_ensure

    roles_ensure()
    user, _ = get_user_model().objects.get_or_create(username="bench-sales", defaults={"is_staff": True})
    user.groups.add(Group.objects.get(name=SALES))
    client = Client()
    client.force_login(user)

    sample = leads.find_one({"is_spam": False, "company": {"$ne": ""}}, sort=[("last_activity_at", -1)], skip=500)
    first, last = (fold(part) for part in sample["name"].split()[:2])
    # and a surname only one lead has: there the query is a single index lookup, and the page's fixed
    # cost (session, user, permissions, staff list, rendering) shows undiluted
    rare = next(
        term for doc in leads.find({"is_spam": False}, {"name": 1}).sort([("last_activity_at", -1)]).skip(700).limit(200)
        if leads.count_documents({"search_terms": (term := fold(doc["name"].split()[-1]))}) == 1
    )
    cases = {
        "inbox": {},
        "one-word search": {"q": last},
        "rare surname": {"q": rare},
        "common word": {"q": "website"},
        "two-word search": {"q": f"{first} {last}"},
        "status filter": {"status": "qualified"},
    }
    print(f"{leads.count_documents({})} leads, {messages.count_documents({})} messages; searches for {last!r}, {rare!r} and {first + ' ' + last!r}")
    # the inbox's own order, ties by _id: seeded times are whole minutes from one instant, so leads
    # share a last_activity_at, and a sort on it alone lists them in whatever order the server keeps
    print("bare = one find(filter).sort(last_activity_at, _id).limit(51); sliced = the same filter in the slices")
    print("of recent activity the view reads (raw pymongo, _id only); ratio = view / that query")
    print(f"{'case':16} {'view p50':>9} {'p95':>7} {'bare p50':>9} {'p95':>7} {'ratio':>6} {'sliced':>9} {'p95':>7} {'ratio':>6} {'matches':>7} same ids  round trips of the page")
    results = {}
    floors: dict[str, tuple[float, float]] = {}
    for name, params in cases.items():
        url = "/crm/?" + urlencode(params)

        trips: list[list[str]] = []
        outside_database: list[float] = []  # each request's time less its commands' round trips

        def view() -> list[str]:
            response = None

            def get() -> None:
                nonlocal response
                response = client.get(url)

            start = time.perf_counter()
            trips.append(ROUND_TRIPS.during(get))
            outside_database.append(time.perf_counter() - start - ROUND_TRIPS.seconds)
            assert response.status_code == 200, response.status_code
            return re.findall(r'name="ids" value="([0-9a-f]{24})"', response.content.decode())

        match = inbox_match(InboxFilters(q=params.get("q", ""), status=params.get("status", "")))

        def bare() -> list[str]:
            cursor = leads.find(match, {"_id": 1}).sort(SORTS["recent"]).limit(PER_PAGE + 1)
            return [str(doc["_id"]) for doc in cursor][:PER_PAGE]

        words = sorted(query_terms(params.get("q", "")), key=len, reverse=True)
        first_match = inbox_match(InboxFilters(q=params.get("q", ""), status=params.get("status", "")), terms=words[:1])

        def windowed() -> list[str]:
            projection = {"_id": 1, "search_terms": 1} if words[1:] else {"_id": 1}
            docs = _newest(first_match, wanted=PER_PAGE + 1, residual_terms=words[1:], projection=projection)
            return [str(doc["_id"]) for doc in docs][:PER_PAGE]

        (view_samples, view_ids), (bare_samples, bare_ids), (window_samples, window_ids) = interleaved([view, bare, windowed], args.runs)
        v50, v95 = percentiles(view_samples)
        b50, b95 = percentiles(bare_samples)
        w50, w95 = percentiles(window_samples)
        results[name] = v50
        total = leads.count_documents(match) if params else None
        same = view_ids == bare_ids == window_ids
        # per request: fewest and most (the permission and staff-list caches expire now and then),
        # and the commands of the fewest
        fewest = min(trips, key=len)
        print(f"{name:16} {v50:7.1f}ms {v95:5.0f}ms {b50:7.1f}ms {b95:5.0f}ms {v50 / b50:6.2f} {w50:7.1f}ms {w95:5.0f}ms {v50 / w50:6.2f} "
              f"{total if total is not None else '-':>7} {str(same):8} {len(fewest)}-{max(map(len, trips))}: {', '.join(fewest)}")
        floors[name] = statistics.median(outside_database) * 1000, b50
    # What no query can remove: the request's own work (middleware, session and user decoding,
    # permissions, forms, rendering), timed as the page less its commands' round trips. The page
    # also sends at least the bare query, so it costs at least (that + the bare query).
    for name, (outside, b50) in floors.items():
        print(f"{name:16} outside the database {outside:.1f} ms; with the bare query alone at least {(outside + b50) / b50:.2f}x the bare query")

    regex_samples, regex_hits = timed(lambda: len(list(messages.find({"message": {"$regex": last, "$options": "i"}}, {"_id": 1}))), 3)
    r50, _ = percentiles(regex_samples)
    print(f"full-scan $regex over messages: p50 {r50:.0f} ms ({regex_hits} hits)")
    for name in ("one-word search", "rare surname", "common word", "two-word search"):
        print(f"{name}: {r50 / results[name]:.1f}x faster than the $regex scan")
    from contact.lead_counts import lead_counts_recount, lead_status_counts

    def counts_page() -> int:
        response = client.get("/crm/counts/")
        assert response.status_code == 200, response.status_code
        return response.status_code

    page_samples, _ = timed(counts_page, args.runs)
    read_samples, maintained = timed(lead_status_counts, args.runs)
    recount_samples, recounted = timed(lead_counts_recount, 3)
    c50, c95 = percentiles(page_samples)
    m50, _ = percentiles(read_samples)
    r50, _ = percentiles(recount_samples)
    print(f"counts per status: page /crm/counts/ p50 {c50:.1f} ms (p95 {c95:.0f} ms, target < 50 ms); maintained read "
          f"{m50:.1f} ms; a full recount {r50:.0f} ms; maintained == recount: {maintained == recounted}")


if __name__ == "__main__":
    main()
