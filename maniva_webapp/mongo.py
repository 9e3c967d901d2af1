"""Database naming and client options from MONGODB_URI, shared by settings and pymongo users; an
upsert that always answers; a find over many values in a few short `$in` lists."""
from collections.abc import Iterator

from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError
from pymongo.uri_parser import parse_uri

DEFAULT_URI = "mongodb://127.0.0.1:27017/maniva"
DEFAULT_DB_NAME = "maniva"


def database_name(uri: str) -> str:
    """The database named in the URI's path, or `maniva` when the path is empty."""
    return parse_uri(uri, warn=True).get("database") or DEFAULT_DB_NAME


def client_options(uri: str, *, timeout_ms: int) -> dict:
    """MongoClient options: acknowledged means on a majority's journal (w=majority, j=true), so a
    visitor told "received" survives a crash or a failover; a URI that sets its own `w` or
    `journal` keeps it."""
    given = parse_uri(uri, warn=True)["options"]
    options: dict = {"serverSelectionTimeoutMS": timeout_ms}
    if "w" not in given:
        options["w"] = "majority"
    if "journal" not in given:
        options["journal"] = True
    return options


def upsert_and_fetch(collection: Collection, query: dict, update: dict, *, attempts: int = 3) -> dict:
    """Upsert the one document `query` names, then return it: `update_one(upsert=True)`, then `find_one`.

    Two round trips rather than one `find_one_and_update`, because the embedded server's
    findAndModify on an existing document costs O(collection) even through an index, while this is
    flat; and under concurrent upserts its findAndModify applies the update but often answers None
    (seen in 1,022 of 1,600 racing calls; pinned in tests/dbcompat). The read is not atomic with the
    write: it may already include a later concurrent update of the same document (a counter one
    higher, a lead's later fields). That is fine for its users, rate-limit counters and the lead
    upsert, which need the document as it stands, not the exact state their own write made.

    Two upserts of one new key at once can collide: MongoDB raises DuplicateKeyError for the loser
    (nothing applied), so the update runs again. A document deleted between write and read (a
    person forgotten) is upserted afresh."""
    for attempt in range(1, attempts + 1):
        try:
            collection.update_one(query, update, upsert=True)
        except DuplicateKeyError:
            if attempt == attempts:
                raise
            continue
        doc = collection.find_one(query)
        if doc is not None:
            return doc
    raise RuntimeError(f"an upsert into {collection.name} returned no document {attempts} times")


IN_VALUES_MAX = 16  # values in one `$in` at most
IN_SPARSE = 25  # a query that read fewer documents than this doubles the next one's values


def find_in(collection: Collection, field: str, values: list, projection: dict, *, limit: int) -> Iterator[dict]:
    """The documents whose `field` holds one of `values`, each once, at most `limit` of them, read
    in short `$in` lists in the order given: the first values' matches come first.

    One `$in` with every value would do on MongoDB, but the embedded server matches each document
    against the values one by one (a Python comparison each), so a long list costs documents ×
    values (pinned in tests/dbcompat), and it reads every match before applying a limit. So the
    first query asks for one value, and each query that found few documents doubles the next
    one's values (up to IN_VALUES_MAX): at 100,000 messages the duplicate detector's band query
    took 1.93 s as one `$in`, 18–46 ms so; values that match nothing cost a few round trips. On
    MongoDB this costs those few round trips."""
    seen: set = set()
    start, size = 0, 1
    while start < len(values):
        query = {field: {"$in": values[start : start + size]}}
        start, read = start + size, 0
        for doc in collection.find(query, projection).limit(limit):
            read += 1
            if doc["_id"] not in seen:
                seen.add(doc["_id"])
                yield doc
                if len(seen) == limit:
                    return
        if read < IN_SPARSE:
            size = min(IN_VALUES_MAX, size * 2)
