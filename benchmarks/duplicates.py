"""Duplicate leads: the detector's precision and recall on a labelled sample, and the lead page's cost.

    .venv/bin/python benchmarks/duplicates.py --quality [--seeds 2,3,4,5,6] [--people 400]
    .venv/bin/python benchmarks/duplicates.py --cost [--messages 100000] [--runs 20]

Each run starts its own SecantusDB daemon (as benchmarks/crm.py does) and writes through the real
lead store (contact.services.message_store), so the keys are the ones the intake stores.

--quality: per seed, a fresh database with the labelled sample of benchmarks/duplicates_sample.py
(people who came back, people who look alike); every lead's lead_duplicates() gives the pairs
flagged; two leads are truly duplicates when one person wrote both. Prints precision and recall
per seed and per reason, recall per way of coming back. Seed 1 is the development sample on which
TEXT_THRESHOLD was chosen; report the others.

--cost: seed_demo's leads (100,000 messages, about 30,000 leads), then the labelled sample on top.
Times, in one run: the lead page (Django test client, in process) of leads that have duplicates;
the same page with the duplicate lookup switched off (the baseline: what the page cost before);
lead_duplicates() alone; and a scan, what finding the same mailboxes costs without the stored keys
(every lead's address read and normalised).
"""
import argparse
import shutil
import statistics
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.crm import django_setup, start_server, timed  # noqa: E402
from benchmarks.duplicates_sample import direct_pairs, labelled_sample, true_pairs  # noqa: E402


def load(records) -> dict[str, object]:
    """Store the records through the intake's write path; returns lead id by email."""
    from django.utils import timezone

    from contact.meta import RequestMeta
    from contact.services import message_store
    from contact.spam import SpamVerdict

    ids = {}
    for record in records:
        submission = {"name": record.name, "email": record.email, "subject": "Enquiry", "message": record.message,
                      "company": record.company, **({"phone": record.phone} if record.phone else {})}
        result = message_store(
            kind="contact", submission=submission, meta=RequestMeta(ip="203.0.113.9", user_agent="bench", country=record.country),
            verdict=SpamVerdict(is_spam=False, score=0.1), idempotency_key=uuid.uuid4().hex, received_at=timezone.now(),
        )
        ids[record.email] = result.message.lead_id
    return ids


def evaluate(records, ids) -> dict:
    from contact.duplicates import lead_duplicates
    from contact.models import Lead

    email_of = {pk: email for email, pk in ids.items()}
    flagged: dict[frozenset, set[str]] = {}
    for lead in Lead.objects.filter(pk__in=list(ids.values())):
        for duplicate in lead_duplicates(lead=lead):
            if duplicate.lead.pk in email_of:
                flagged.setdefault(frozenset((lead.email, duplicate.lead.email)), set()).update(duplicate.kinds)
    truth = true_pairs(records)  # every two leads of one person: a flag on any of them is right
    direct = direct_pairs(records)  # each returning lead and its person's first lead: what recall is measured on
    hits = set(flagged) & truth
    by_kind = {}
    for kind in sorted({k for kinds in flagged.values() for k in kinds}):
        pairs = {pair for pair, kinds in flagged.items() if kind in kinds}
        by_kind[kind] = (len(pairs & truth), len(pairs))
    recall_by_variant: dict[str, list[int]] = {}
    for pair, variant in direct.items():
        counts = recall_by_variant.setdefault(variant, [0, 0])
        counts[0] += pair in flagged
        counts[1] += 1
    return {"leads": len(records), "true": len(direct), "flagged": len(flagged), "hits": len(hits),
            "found": sum(pair in flagged for pair in direct), "all_pairs": len(truth), "all_found": len(hits), "by_kind": by_kind,
            "recall_by_variant": recall_by_variant, "false": sorted((sorted(p), sorted(flagged[p])) for p in set(flagged) - truth),
            "missed": sorted((sorted(p), v) for p, v in direct.items() if p not in flagged)}


def quality(args) -> None:
    totals = Counter()
    process, uri, storage = start_server()
    try:
        django_setup(uri)
        from contact.leads import lead_collection, message_collection
        from contact.models import OutboxJob

        for seed in [int(s) for s in args.seeds.split(",")]:
            for collection in (lead_collection(), message_collection()):
                collection.delete_many({})
            OutboxJob.objects.all().delete()
            records = labelled_sample(seed=seed, people=args.people)
            result = evaluate(records, load(records))
            report(seed, result, args.show_false)
            totals.update({key: result[key] for key in ("true", "flagged", "hits", "found", "leads", "all_pairs", "all_found")})
            unlinkable = result["recall_by_variant"].get("unlinkable", [0, 0])
            totals.update(true_linkable=result["true"] - unlinkable[1], found_linkable=result["found"] - unlinkable[0])
    finally:
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(storage, ignore_errors=True)
    print(f"all seeds: {totals['leads']} leads, {totals['true']} returning leads, {totals['flagged']} pairs flagged: "
          f"precision={totals['hits'] / totals['flagged']:.3f} recall={totals['found'] / totals['true']:.3f} "
          f"(without the unlinkable returns {totals['found_linkable'] / totals['true_linkable']:.3f}; "
          f"over all {totals['all_pairs']} pairs of one person {totals['all_found'] / totals['all_pairs']:.3f})")


def report(seed: int, result: dict, show_false: int) -> None:
    precision = result["hits"] / result["flagged"] if result["flagged"] else 1.0
    recall = result["found"] / result["true"]
    print(f"seed {seed}: {result['leads']} leads, {result['true']} returning leads, {result['flagged']} pairs flagged, "
          f"precision={precision:.3f} recall={recall:.3f}")
    for kind, (good, flagged) in result["by_kind"].items():
        print(f"    flagged by {kind!r}: {good}/{flagged} right")
    print("    recall by way of coming back: " + ", ".join(
        f"{v or 'first'} {found}/{n}" for v, (found, n) in sorted(result["recall_by_variant"].items())))
    for pair, kinds in result["false"][:show_false]:
        print(f"    false: {pair} by {kinds}")
    for pair, variant in [m for m in result["missed"] if m[1] != "unlinkable"][:show_false]:
        print(f"    missed ({variant}): {pair}")


def cost(args) -> None:
    process, uri, storage = start_server()
    try:
        django_setup(uri)
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group
        from django.core.management import call_command
        from django.test import Client

        import maniva_crm.views.lead as lead_views
        from contact.dupkeys import mailbox_key
        from contact.duplicates import lead_duplicates
        from contact.leads import lead_collection, message_collection
        from contact.models import Lead
        from maniva_crm.services import MANAGERS, roles_ensure

        start = time.perf_counter()
        call_command("seed_demo", messages=args.messages)
        records = labelled_sample(seed=2, people=400)
        ids = load(records)
        leads, messages = lead_collection(), message_collection()
        print(f"seeded {messages.count_documents({})} messages / {leads.count_documents({})} leads in {time.perf_counter() - start:.0f} s")
        roles_ensure()
        user, _ = get_user_model().objects.get_or_create(username="bench-manager", defaults={"is_staff": True})
        user.groups.add(Group.objects.get(name=MANAGERS))
        client = Client()
        client.force_login(user)

        with_duplicates = [pk for pk in ids.values() if lead_duplicates(lead=Lead.objects.get(pk=pk))][:20]
        print(f"{len(with_duplicates)} sample leads with duplicates timed, {args.runs} runs each")

        def pages() -> None:
            for pk in with_duplicates:
                assert client.get(f"/crm/leads/{pk}/").status_code == 200

        def lookups() -> None:
            for pk in with_duplicates:
                lead_duplicates(lead=Lead.objects.get(pk=pk))

        def scan() -> None:  # without stored keys: every address read and normalised, for one lead's mailbox
            target = mailbox_key(leads.find_one({"_id": with_duplicates[0]})["email"])
            [doc["_id"] for doc in leads.find({}, {"email": 1}) if mailbox_key(doc["email"]) == target]

        page_samples, _ = timed(pages, args.runs)
        original = lead_views.selectors.lead_duplicates
        lead_views.selectors.lead_duplicates = lambda *, lead: []
        try:
            bare_samples, _ = timed(pages, args.runs)
        finally:
            lead_views.selectors.lead_duplicates = original
        lookup_samples, _ = timed(lookups, args.runs)
        scan_samples, _ = timed(scan, 3)
        n = len(with_duplicates)
        page, bare = statistics.median(page_samples) / n * 1000, statistics.median(bare_samples) / n * 1000
        lookup, scanned = statistics.median(lookup_samples) / n * 1000, statistics.median(scan_samples) * 1000
        print(f"lead page with duplicates listed: {page:.1f} ms per page (p50 of {args.runs} rounds)")
        print(f"lead page without the lookup:    {bare:.1f} ms per page; with / without = {page / bare:.2f}")
        print(f"lead_duplicates() alone:         {lookup:.1f} ms per lead ({lookup / bare:.2f} of the page without it)")
        print(f"one mailbox found by a scan:     {scanned:.0f} ms ({scanned / lookup:.0f}x the whole indexed lookup)")
    finally:
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(storage, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quality", action="store_true")
    parser.add_argument("--cost", action="store_true")
    parser.add_argument("--seeds", default="2,3,4,5,6")
    parser.add_argument("--people", type=int, default=400)
    parser.add_argument("--show-false", type=int, default=5)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    if args.quality == args.cost:
        parser.error("choose one of --quality and --cost")
    if args.quality:
        quality(args)
    if args.cost:
        cost(args)


if __name__ == "__main__":
    main()
