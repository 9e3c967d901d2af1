"""Every staff page at the size users reach: what each costs and which of its reads scan.

    .venv/bin/python benchmarks/crm_pages.py [--messages 10000] [--sessions 10000] [--uri mongodb://…/db]

Starts its own SecantusDB daemon (unless --uri), seeds with `seed_demo` and other browsers'
sessions (benchmarks/crm.py), logs a superuser in with Django's test client and requests each
CRM and admin page twice (the first warms caches). For the second, it prints the wall time and
every command the page sent (a pymongo CommandListener): its server time, and for a find the
documents the server examined against those it returned (explain, executionStats). A find that
examines far more than it returns, or an aggregate that takes far longer than the others, is a
scan that grows with the data. The embedded server's explain can report a scan for a read it runs
through an index (tests/dbcompat): the read's own time tells which.
"""
import argparse
import json
import sys
import time
from pathlib import Path

from pymongo import monitoring

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.crm import seeded_site  # noqa: E402

READS = ("find", "aggregate", "count", "distinct")


class Reads(monitoring.CommandListener):
    """The reads this process sends while `on`, with their server round-trip milliseconds."""

    def __init__(self) -> None:
        self.on, self.sent, self._started = False, [], {}

    def started(self, event) -> None:
        if self.on and event.command_name in READS:
            self._started[event.request_id] = (event.command_name, dict(event.command))

    def succeeded(self, event) -> None:
        if (read := self._started.pop(event.request_id, None)) is not None:
            self.sent.append((*read, event.duration_micros / 1000))

    def failed(self, event) -> None:
        self._started.pop(event.request_id, None)


READS_SEEN = Reads()


def pages(lead_id: str) -> list[str]:
    lead = f"/crm/leads/{lead_id}/"
    return [
        "/crm/", "/crm/?assignee=none", "/crm/?status=new&sort=oldest", "/crm/?sort=name", "/crm/?sort=name&page=20", "/crm/?sort=name&status=new", "/crm/?sort=messages", "/crm/?sort=messages&page=20", "/crm/?sort=messages&status=new", "/crm/?country=PT", "/crm/?country=DE", "/crm/?tag=vip", "/crm/?tag=urgent&status=new", "/crm/?q=website",
        "/crm/?page=10", "/crm/counts/",
        "/crm/dashboard/", "/crm/audit/", "/crm/staff/", "/crm/canned/", "/crm/routing/", "/crm/mail/",
        lead, f"{lead}export.json", "/crm/export.csv?q=website",
        "/admin/", "/admin/contact/lead/", "/admin/contact/message/", "/admin/contact/message/?p=3", "/admin/contact/message/?kind__exact=consultation",
        "/admin/contact/message/?kind__exact=consultation&p=3", "/admin/contact/message/?is_spam__exact=1", "/admin/contact/lead/?status__exact=new",
        "/admin/contact/outboxjob/", f"/admin/contact/lead/{lead_id}/change/",
    ]


def examined(database, command: dict) -> str:
    explained = database.command({
        "explain": {key: command[key] for key in ("find", "filter", "sort", "limit", "skip", "projection") if key in command},
        "verbosity": "executionStats",
    })
    stats = explained["executionStats"]
    return f"examined {stats['totalDocsExamined']:>6} returned {stats['nReturned']:>5}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--uri", help="use this (already seeded) database instead of starting one")
    args = parser.parse_args()
    monitoring.register(READS_SEEN)
    with seeded_site(uri=args.uri, messages=args.messages, sessions=args.sessions):
        from django.contrib.auth import get_user_model
        from django.db import connection
        from django.test import Client

        leads = connection.get_collection("contact_lead")
        print(f"{leads.count_documents({})} leads, {connection.get_collection('contact_message').count_documents({})} messages")
        admin, _ = get_user_model().objects.get_or_create(username="bench-admin", defaults={"is_staff": True, "is_superuser": True})
        client = Client()
        client.force_login(admin)
        lead = leads.find_one({"is_spam": False}, sort=[("last_activity_at", -1), ("_id", -1)], skip=50)
        for url in pages(str(lead["_id"])):
            client.get(url)
            READS_SEEN.sent, READS_SEEN.on = [], True
            start = time.perf_counter()
            response = client.get(url)
            if response.streaming:
                b"".join(response.streaming_content)
            wall = (time.perf_counter() - start) * 1000
            READS_SEEN.on = False
            print(f"\n{url}  {response.status_code}  {wall:.1f} ms, {len(READS_SEEN.sent)} reads")
            for name, command, millis in READS_SEEN.sent:
                target = command[name]
                detail = examined(leads.database, command) if name == "find" else json.dumps(command.get("pipeline", ""), default=str)[:110]
                print(f"  {millis:8.1f} ms  {name:9} {target:28} {detail}")


if __name__ == "__main__":
    main()
