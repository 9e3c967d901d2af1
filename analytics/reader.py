"""Reads messages from MongoDB with pymongo: batches with a projection, and aggregation pipelines
for counts and lengths, so neither the texts nor whole documents sit in memory. No Django, so the
notebook can use it on a bare pymongo database."""
import re
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from queue import Full, Queue
from datetime import datetime

from bson import ObjectId
from pymongo.database import Database

# contact's collections (contact.selectors.message_collection_name(), lead_collection_name()): named
# here because this module runs without Django; a test keeps them equal.
MESSAGES = "contact_message"
LEADS = "contact_lead"
BATCH_SIZE = 10000
_WORD_RE = re.compile(r"\S+")  # the server's word count: $regexFindAll \S+
# Each projected field costs the server time (measured: 1 field 5.0 s, 6 fields 6.8 s per 100k), so
# the terms read only what they group by; the report's tally also needs the form kind.
TEXT_FIELDS = {"message": 1, "received_at": 1, "is_spam": 1, "spam_label": 1, "lead_id": 1, "_id": 0}
TALLY_FIELDS = {**TEXT_FIELDS, "kind": 1}


def message_filter(*, since: datetime | None = None, until: datetime | None = None, include_spam: bool = True) -> dict:
    """`since` inclusive, `until` exclusive. Without spam: neither flagged at intake nor labelled spam by staff.
    Only what people sent us: staff replies on a conversation (direction "out") are left out."""
    query: dict = {"direction": {"$ne": "out"}}
    if since or until:
        query["received_at"] = {**({"$gte": since} if since else {}), **({"$lt": until} if until else {})}
    if not include_spam:
        query["is_spam"] = {"$ne": True}
        query["spam_label"] = {"$ne": "spam"}
    return query


def is_spam(document: dict) -> bool:
    """The same test as `message_filter(include_spam=False)`, for documents already read."""
    return document.get("is_spam") is True or document.get("spam_label") == "spam"


def message_count(db: Database, query: dict) -> int:
    return db[MESSAGES].count_documents(query)


def message_batches(
    db: Database, query: dict, *, fields: dict = TEXT_FIELDS, batch_size: int = BATCH_SIZE, prefetch: int = 2
) -> Iterator[list[dict]]:
    """Lists of at most `batch_size` projected documents, in the collection's natural order: no sort,
    which costs the server half the read again (measured), and results do not depend on the order.

    With `prefetch`, a thread keeps up to that many batches in flight, so the server reads the next
    batch while the caller works on this one (the server and the caller then use a core each)."""
    cursor = db[MESSAGES].find(query, fields, batch_size=batch_size)
    if prefetch <= 0:
        yield from _batched(cursor, batch_size)
        return
    queue: Queue = Queue(maxsize=prefetch)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                queue.put(item, timeout=0.1)
                return True
            except Full:
                continue
        return False

    def produce() -> None:
        try:
            for batch in _batched(cursor, batch_size):
                if not put(batch):
                    return
            put(_DONE)
        except BaseException as error:  # handed to the caller, raised there
            put(error)

    thread = threading.Thread(target=produce, name="analytics-reader", daemon=True)
    thread.start()
    try:
        while (item := queue.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join()
        cursor.close()


_DONE = object()


def _batched(cursor: Iterable[dict], batch_size: int) -> Iterator[list[dict]]:
    batch: list[dict] = []
    for document in cursor:
        batch.append(document)
        if len(batch) >= batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


def lead_statuses(db: Database) -> dict[ObjectId, str]:
    return {lead["_id"]: lead.get("status", "") for lead in db[LEADS].find({}, {"status": 1}, batch_size=10000)}


def message_stats(db: Database, query: dict) -> dict:
    """One scan on the server: counts by kind, intake spam flag, staff label and month, and the
    lengths in characters and words grouped by (length, kind, spam flag) with their counts: a few
    thousand rows however many messages there are, and no text crosses the wire."""
    body = {"$ifNull": ["$message", ""]}
    by_length = lambda field: [{"$group": {"_id": {"v": field, "k": "$k", "s": "$s"}, "n": {"$sum": 1}}}]  # noqa: E731
    pipeline = [
        {"$match": query},
        {
            "$project": {
                "_id": 0,
                "c": {"$strLenCP": body},
                "w": {"$size": {"$regexFindAll": {"input": body, "regex": r"\S+"}}},
                "k": {"$ifNull": ["$kind", ""]},
                "s": {"$eq": ["$is_spam", True]},
                "l": {"$ifNull": ["$spam_label", ""]},
                "m": {"$dateToString": {"format": "%Y-%m", "date": "$received_at"}},
            }
        },
        {
            "$facet": {
                "chars": by_length("$c"),
                "words": by_length("$w"),
                "by_kind": [{"$group": {"_id": "$k", "n": {"$sum": 1}}}],
                "by_spam": [{"$group": {"_id": "$s", "n": {"$sum": 1}}}],
                "by_label": [{"$group": {"_id": "$l", "n": {"$sum": 1}}}],
                "by_month": [{"$group": {"_id": "$m", "n": {"$sum": 1}}}],
            }
        },
    ]
    facets = next(db[MESSAGES].aggregate(pipeline, allowDiskUse=True), {})
    tables = {name: {row["_id"]: row["n"] for row in facets.get(name, [])} for name in ("by_kind", "by_spam", "by_label", "by_month")}
    lengths = {name: {(row["_id"]["v"], row["_id"]["k"], row["_id"]["s"]): row["n"] for row in facets.get(name, [])} for name in ("chars", "words")}
    return stats_result(tables, lengths)


def stats_result(tables: dict[str, dict], lengths: dict[str, dict]) -> dict:
    """The shape `message_stats` returns, from raw group counts (the server's, or `StatsTally`'s)."""

    def table(name: str, key) -> dict:
        return {key(value): n for value, n in sorted(tables[name].items(), key=lambda item: str(item[0]))}

    by_kind = table("by_kind", lambda value: value or "unknown")
    return {
        "counts": {
            "total": sum(by_kind.values()),
            "by_kind": by_kind,
            "by_spam": table("by_spam", lambda value: "spam" if value else "not_spam"),
            "by_label": table("by_label", lambda value: value or "unlabelled"),
            "by_month": table("by_month", lambda value: value or "unknown"),
        },
        "chars": sorted((v, k, s, n) for (v, k, s), n in lengths["chars"].items()),
        "words": sorted((v, k, s, n) for (v, k, s), n in lengths["words"].items()),
    }


class StatsTally:
    """`message_stats` computed on documents already being read (the report streams every body for
    its terms anyway, and a second scan would cost the server as much again)."""

    def __init__(self) -> None:
        self.tables: dict[str, Counter] = {name: Counter() for name in ("by_kind", "by_spam", "by_label", "by_month")}
        self.lengths: dict[str, Counter] = {"chars": Counter(), "words": Counter()}

    def add(self, document: dict, month: str) -> None:
        body = document.get("message") or ""
        kind, spam = document.get("kind") or "", document.get("is_spam") is True
        self.tables["by_kind"][kind] += 1
        self.tables["by_spam"][spam] += 1
        self.tables["by_label"][document.get("spam_label") or ""] += 1
        self.tables["by_month"][month] += 1
        self.lengths["chars"][(len(body), kind, spam)] += 1
        self.lengths["words"][(len(_WORD_RE.findall(body)), kind, spam)] += 1

    def result(self) -> dict:
        return stats_result(self.tables, self.lengths)


def labelled_messages(db: Database, query: dict | None = None) -> tuple[list[str], list[str]]:
    """Subject and message of every message staff labelled spam or ham, with the label."""
    texts, labels = [], []
    cursor = db[MESSAGES].find({**(query or {}), "spam_label": {"$in": ["spam", "ham"]}}, {"subject": 1, "message": 1, "spam_label": 1})
    for document in cursor.batch_size(BATCH_SIZE):
        texts.append(message_text(document))
        labels.append(document["spam_label"])
    return texts, labels


def message_text(document: dict) -> str:
    """What the models read: subject and body. The intake scores the same join."""
    return f"{document.get('subject') or ''}\n{document.get('message') or ''}".strip()


def message_total(db: Database) -> int:
    """Size of the collection from its metadata, without a scan: enough for a progress bar."""
    return db[MESSAGES].estimated_document_count()
