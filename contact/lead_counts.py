"""Leads per status, maintained, so that the CRM's counts read a few small documents instead of
grouping every lead (1.7 s at 30,000 leads on the embedded server). Part of the lead store.

How the counts stay right:
- `contact_leadstatuscount` holds, per status, how many leads are *counted* under it; each lead
  says under which status it is counted (`counted_status`, "" = not yet).
- Every write that may change a lead's status sets `count_pending` on the lead in that same
  single-document update (a new lead is inserted pending; `leads.lead_update` and the intake's
  spam flip set it; `Lead.save` too). So the change and the record that the counts must follow are
  one atomic write: no crash can separate them, and the intake pays no extra round trip.
- `lead_counts_settle` folds pending leads into the counts: per (status, counted_status) group,
  one conditional `update_many` (only leads still pending with exactly that pair) marks them counted
  under their status, then one `$inc` moves the counts by the number it modified. Any number of
  processes may settle at once, beside any writes: each lead is folded by the one update that
  matched it. Fault model: a crash between that update and its `$inc` (one round trip) leaves the
  counts off by that group until `manage.py lead_counts --repair`; nothing else can. Not a
  transaction: with the update and the `$inc` in one transaction, eight threads settling and moving
  the same leads hung on SecantusDB 0.7.0b3 (every thread waiting on the server, in update_many or
  commitTransaction); a plain two-session conflict on one document does fail at once with
  WriteConflict there, so the hang is not isolated to a plain-pymongo reproduction yet.
- `lead_status_counts` answers the counts plus the pending leads' moves, so it is exact even before
  anyone settles; it settles first when more than SETTLE_AT leads are pending.
- A lead leaves the counts with it when deleted through `lead_delete` (GDPR erasure, a merge); an
  ORM delete (the admin) is taken out by the post_delete receiver below.
Other writers of a lead's status: set `count_pending: True` in the same update (or go through
`leads.lead_update`), and delete leads through `lead_delete`.
"""
from collections import defaultdict

from django.db import connection
from django.db.models.signals import post_delete
from django.dispatch import receiver
from pymongo import UpdateOne
from pymongo.collection import Collection

from contact.models import Lead, LeadStatusCount

PENDING = Lead._meta.get_field("count_pending").column
COUNTED = Lead._meta.get_field("counted_status").column
SETTLE_AT = 100  # pending leads a read of the counts adds up itself before it settles them
SETTLE_BATCH = 5000


def _leads() -> Collection:
    return connection.get_collection(Lead._meta.db_table)


def _counts() -> Collection:
    return connection.get_collection(LeadStatusCount._meta.db_table)


def _inc(deltas: dict[str, int]) -> None:
    ops = [UpdateOne({"_id": status}, {"$inc": {"n": n}}, upsert=True) for status, n in deltas.items() if status and n]
    if ops:
        _counts().bulk_write(ops, ordered=False)


def _pending(query: dict, *, limit: int) -> list[dict]:
    return list(_leads().find({**query, PENDING: True}, {"status": 1, COUNTED: 1}).limit(limit))


def lead_counts_settle(*, lead_ids: list | None = None) -> int:
    """Fold pending leads (all, or these) into the counts; returns how many were folded."""
    query = {"_id": {"$in": list(lead_ids)}} if lead_ids is not None else {}
    folded = 0
    while True:
        pending = _pending(query, limit=SETTLE_BATCH)
        groups: dict[tuple[str, str], list] = defaultdict(list)
        for doc in pending:
            groups[(doc.get("status") or "", doc.get(COUNTED) or "")].append(doc["_id"])
        batch = 0
        for (status, counted), ids in groups.items():
            moved = _leads().update_many(
                {"_id": {"$in": ids}, "status": status, COUNTED: counted, PENDING: True},
                {"$set": {COUNTED: status, PENDING: False}},
            ).modified_count
            if status != counted:
                _inc({status: moved, counted: -moved})  # a crash just before this loses `moved` moves: --repair
            batch += moved
        folded += batch
        if len(pending) < SETTLE_BATCH or not batch:
            return folded


def _moves(pending: list[dict]) -> dict[str, int]:
    deltas: dict[str, int] = defaultdict(int)
    for doc in pending:
        deltas[doc.get("status") or ""] += 1
        deltas[doc.get(COUNTED) or ""] -= 1
    return deltas


def lead_status_counts() -> dict[str, int]:
    """Leads per status (statuses without leads left out): the maintained counts plus the moves of
    pending leads, read before and after the counts and again if a settle ran in between."""
    for _ in range(5):
        before = _pending({}, limit=SETTLE_AT + 1)
        if len(before) > SETTLE_AT:
            lead_counts_settle()
            continue
        stored = {doc["_id"]: doc["n"] for doc in _counts().find({}, {"n": 1})}
        after = _pending({}, limit=SETTLE_AT + 1) if before or stored else before
        if after == before:
            break
    counts = defaultdict(int, stored)
    for status, delta in _moves(after).items():
        if status:
            counts[status] += delta
    return {status: n for status, n in counts.items() if n}


def lead_counts_recount() -> dict[str, int]:
    """Leads per status by a pass over every lead: what lead_status_counts must equal."""
    rows = _leads().aggregate([{"$group": {"_id": "$status", "n": {"$sum": 1}}}])
    return {row["_id"]: row["n"] for row in rows if row["n"]}


def lead_counts_repair() -> dict[str, tuple[int, int]]:
    """Set the stored counts to what the leads say they hold (a pass over every lead), then settle.
    A settle running at the same time may be lost: run it while the site is quiet, after a crash.
    Returns {status: (stored, recounted)} for each count that was wrong."""
    fixed: dict[str, tuple[int, int]] = {}
    rows = _leads().aggregate([{"$match": {COUNTED: {"$ne": ""}}}, {"$group": {"_id": f"${COUNTED}", "n": {"$sum": 1}}}])
    held = {row["_id"]: row["n"] for row in rows}
    stored = {doc["_id"]: doc["n"] for doc in _counts().find({})}
    for status in held.keys() | stored.keys():
        if held.get(status, 0) != stored.get(status, 0):
            fixed[status] = (stored.get(status, 0), held.get(status, 0))
            _counts().update_one({"_id": status}, {"$set": {"n": held.get(status, 0)}}, upsert=True)
    lead_counts_settle()
    return fixed


def lead_delete(*, lead_id) -> bool:
    """Delete one lead document and take it out of the counts (its messages are the caller's).
    False when there was no such lead."""
    for _ in range(10):
        doc = _leads().find_one({"_id": lead_id}, {COUNTED: 1})
        if doc is None:
            return False
        counted = doc.get(COUNTED) or ""
        deleted = _leads().delete_one({"_id": lead_id, COUNTED: counted}).deleted_count
        if deleted:
            _inc({counted: -1})  # a crash just before this leaves one too many: --repair
        if deleted:
            return True
    raise RuntimeError(f"lead {lead_id} kept being settled while it was deleted")


@receiver(post_delete, sender=Lead)
def _lead_deleted(sender, instance: Lead, **kwargs) -> None:
    """An ORM delete (the admin): out of the counts under the status it was loaded with."""
    if instance.counted_status:
        _inc({instance.counted_status: -1})
