"""The hot equality lookups go through an index on the suite's server (issue 15), checked with explain.

Neither django-mongodb-backend (#543) nor SecantusDB uses the partial unique index Django makes for a
unique field, so each such field that is looked up has a plain index beside it."""
from datetime import timedelta

from django.db import connection
from django.utils import timezone

from contact.leads import lead_collection, lead_document, message_collection
from contact.models import LEASE_NONE, JobKind, OutboxJob, OutboxStatus
from tests.helpers import index_names, plan_stages


def test_the_lead_upsert_by_email_uses_the_plain_email_index(db):
    now = timezone.now()
    collection = lead_collection()
    collection.insert_many([lead_document(email=f"p{n}@example.com", created_at=now, last_activity_at=now) for n in range(50)])
    query = {"email": "p7@example.com"}
    assert index_names(collection.find(query).explain()) == ["lead_email"]
    explained = collection.database.command({
        "explain": {"findAndModify": collection.name, "query": query, "update": {"$set": {"name": "P"}}, "upsert": True, "new": True},
        "verbosity": "queryPlanner",
    })
    assert plan_stages(explained) == ["FETCH", "IXSCAN"] and index_names(explained) == ["lead_email"]


def test_a_message_by_idempotency_key_uses_the_plain_index(db):
    assert index_names(message_collection().find({"idempotency_key": "k1"}).explain()) == ["message_idempotency_key"]



def test_an_outbox_job_by_key_uses_the_plain_index(db):
    collection = connection.get_collection(OutboxJob._meta.db_table)
    assert index_names(collection.find({"key": "staff_email:1"}).explain()) == ["outbox_key"]


def test_the_outbox_claim_reads_through_the_status_run_after_index(db):
    """job_claim's candidate query; its update is by _id with flat conditions (no $or)."""
    now = timezone.now()
    collection = connection.get_collection(OutboxJob._meta.db_table)
    collection.insert_many([
        {"kind": JobKind.EMAIL.value, "key": f"k{n}", "payload": {}, "lead_id": None, "status": OutboxStatus.DONE.value,
         "attempts": 1, "run_after": now - timedelta(hours=1), "locked_by": "", "locked_until": LEASE_NONE, "last_error": "",
         "created_at": now, "done_at": now}
        for n in range(50)
    ])
    due = {"status": OutboxStatus.PENDING.value, "run_after": {"$lte": now}}
    stages = plan_stages(collection.find(due, {"_id": 1, "locked_until": 1}).sort("run_after", 1).explain())
    assert "COLLSCAN" not in stages and "IXSCAN" in stages


def test_an_unleased_job_has_the_epoch_not_null(db):
    from contact.outbox import email_enqueue, job_claim, job_complete

    job = email_enqueue(key="lease-check", to=["a@example.com"], subject="s", template="contact/email/staff_notification")
    assert OutboxJob.objects.get(pk=job.pk).locked_until == LEASE_NONE
    claimed = job_claim(worker="w1")
    assert claimed.pk == job.pk and claimed.locked_until > timezone.now()
    job_complete(job=claimed)
    assert OutboxJob.objects.get(pk=job.pk).locked_until == LEASE_NONE


def test_every_query_of_a_contact_post_and_of_the_sweep_goes_through_an_index(db):
    """The POST's filters (its writes are two updates and two inserts) and the sweep's two reads, with
    enough documents that a scan would show. SecantusDB explains a find, not an update, and reports a
    scan for an indexed equality with residual conditions though it runs it through the index
    (pinned in tests/dbcompat): so each filter's indexed equality is explained, and the filter is
    checked to hold it."""
    from contact import ratelimit
    from contact.leads import lead_intake_query
    from contact.ratelimit import COLLECTION, admit_update

    now = timezone.now()
    lead_collection().insert_many([
        lead_document(email=f"i{n}@example.com", created_at=now, last_activity_at=now, is_spam=n % 2 == 0) for n in range(60)
    ])
    rate_limits = connection.get_collection(COLLECTION)
    rate_limits.insert_many([{"_id": f"ip:10.0.0.{n}:0", "tokens": ["t"]} for n in range(60)])
    message_collection().insert_many([
        {"deliveries_enqueued": n % 3 == 0, "is_spam": n % 5 == 0, "direction": "in", "received_at": now - timedelta(minutes=n)}
        for n in range(60)
    ])
    lead_filter = lead_intake_query(email="i7@example.com", key="k", received_at=now, spam=False)
    queries = {  # what: (collection, the filter sent, its indexed part, the index)
        "rate limit": (rate_limits, admit_update(ratelimit.Counter("ip", "10.0.0.7", 5, 600), "t", now)[0], ["_id"], "_id_"),
        "lead upsert": (lead_collection(), lead_filter, ["email"], "lead_email"),
        "returning lead's _id": (lead_collection(), {"email": "i7@example.com"}, ["email"], "lead_email"),
        "sweep candidates": (
            message_collection(),
            {"deliveries_enqueued": False, "is_spam": False, "direction": "in", "received_at": {"$lt": now - timedelta(seconds=60)}},
            ["deliveries_enqueued", "is_spam", "received_at"], "message_undelivered",
        ),
        "sweep's job keys": (
            connection.get_collection(OutboxJob._meta.db_table), {"key": {"$in": ["staff_email:1", "visitor_email:1"]}}, ["key"], "outbox_key",
        ),
    }
    for what, (collection, query, fields, index) in queries.items():
        explained = collection.find({field: query[field] for field in fields}).explain()
        stages = plan_stages(explained)
        assert "COLLSCAN" not in stages and index in index_names(explained), (what, explained["queryPlanner"]["winningPlan"])


def test_a_messages_words_are_kept_but_not_indexed(db):
    """No read asks messages by word (the inbox searches leads, lead_search_recent), and a multikey
    index on them cost every message insert ~50 entries (2.63 → 1.87 ms per insert on the embedded
    server): contact 0014 drops it. The words stay on the message, to rebuild its lead's terms."""
    from contact.models import Message
    from tests.factories import make_message

    message = make_message(message="Wir brauchen eine neue Webseite für unsere Bäckerei.")
    indexed = [spec["key"][0][0] for spec in message_collection().index_information().values()]
    assert "search_terms" not in indexed and "text_bands" in indexed
    assert "backerei" in Message.objects.get(pk=message.pk).search_terms
    assert [spec["key"][0][0] for name, spec in lead_collection().index_information().items() if name == "lead_search_recent"] == ["search_terms"]
