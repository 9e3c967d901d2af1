"""The hot equality lookups go through an index on the suite's server (issue 15), checked with explain.

Neither django-mongodb-backend (#543) nor SecantusDB uses the partial unique index Django makes for a
unique field, so each such field that is looked up has a plain index beside it."""
from datetime import timedelta

from django.db import connection
from django.utils import timezone

from contact.leads import lead_collection, lead_document, message_collection
from contact.models import LEASE_NONE, JobKind, OutboxJob, OutboxStatus


def plan_stages(explained: dict) -> list[str]:
    plan, stages = explained["queryPlanner"]["winningPlan"], []
    while plan:
        stages.append(plan.get("stage"))
        plan = plan.get("inputStage")
    return stages


def index_names(explained: dict) -> list[str]:
    plan, names = explained["queryPlanner"]["winningPlan"], []
    while plan:
        if plan.get("indexName"):
            names.append(plan["indexName"])
        plan = plan.get("inputStage")
    return names


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
