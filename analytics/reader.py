"""Reads messages from MongoDB with pymongo: batches with a projection, and aggregation pipelines
for counts and lengths, so neither the texts nor whole documents sit in memory. No Django, so the
notebook can use it on a bare pymongo database."""
from collections.abc import Iterator
from datetime import datetime

from bson import ObjectId
from pymongo.database import Database

MESSAGES = "contact_message"  # Message._meta.db_table (a test keeps them equal)
LEADS = "contact_lead"  # Lead._meta.db_table
BATCH_SIZE = 10000
TEXT_FIELDS = {"message": 1, "received_at": 1, "is_spam": 1, "spam_label": 1, "lead_id": 1, "_id": 0}


def message_filter(*, since: datetime | None = None, until: datetime | None = None, include_spam: bool = True) -> dict:
    """`since` inclusive, `until` exclusive. Without spam: neither flagged at intake nor labelled spam by staff."""
    query: dict = {}
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


def message_batches(db: Database, query: dict, *, fields: dict = TEXT_FIELDS, batch_size: int = BATCH_SIZE) -> Iterator[list[dict]]:
    """Lists of at most `batch_size` projected documents, in the collection's natural order: no sort,
    which costs the server half the read again (measured), and results do not depend on the order."""
    cursor = db[MESSAGES].find(query, fields, batch_size=batch_size)
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


def length_rows(db: Database, query: dict) -> Iterator[tuple[int, int, str, bool]]:
    """(characters, words, kind, is_spam) per message, computed by the server: no text crosses the wire."""
    pipeline = [
        {"$match": query},
        {
            "$project": {
                "_id": 0,
                "c": {"$strLenCP": {"$ifNull": ["$message", ""]}},
                "w": {"$size": {"$regexFindAll": {"input": {"$ifNull": ["$message", ""]}, "regex": r"\S+"}}},
                "k": "$kind",
                "s": "$is_spam",
            }
        },
    ]
    for row in db[MESSAGES].aggregate(pipeline, batchSize=BATCH_SIZE):
        yield row["c"], row["w"], row.get("k") or "", bool(row.get("s"))


def message_counts(db: Database, query: dict) -> dict:
    """Counts by kind, by intake spam flag, by staff label and by month, in one `$facet`."""
    month = {"$dateToString": {"format": "%Y-%m", "date": "$received_at"}}
    pipeline = [
        {"$match": query},
        {
            "$facet": {
                "total": [{"$count": "n"}],
                "by_kind": [{"$group": {"_id": "$kind", "n": {"$sum": 1}}}],
                "by_spam": [{"$group": {"_id": "$is_spam", "n": {"$sum": 1}}}],
                "by_label": [{"$group": {"_id": "$spam_label", "n": {"$sum": 1}}}],
                "by_month": [{"$group": {"_id": month, "n": {"$sum": 1}}}],
            }
        },
    ]
    facets = next(db[MESSAGES].aggregate(pipeline), {})
    total = facets.get("total") or [{"n": 0}]

    def table(name: str, key=str) -> dict:
        return {key(row["_id"]): row["n"] for row in sorted(facets.get(name, []), key=lambda row: str(row["_id"]))}

    return {
        "total": total[0]["n"],
        "by_kind": table("by_kind", lambda value: value or "unknown"),
        "by_spam": table("by_spam", lambda value: "spam" if value else "not_spam"),
        "by_label": table("by_label", lambda value: value or "unlabelled"),
        "by_month": table("by_month"),
    }


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
