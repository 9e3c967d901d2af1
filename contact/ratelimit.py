"""Fixed-window rate limits kept in MongoDB, so that every web process on every machine shares them,
with a per-process stand-in for the moments MongoDB is unreachable."""
import re
import threading
from datetime import datetime, timezone
from typing import NamedTuple

from django.db import connection
from pymongo import UpdateOne
from pymongo.errors import BulkWriteError, DuplicateKeyError

from maniva_webapp.mongo import upsert_and_fetch

COLLECTION = "contact_ratelimit"


class RateLimited(Exception):
    def __init__(self, scope: str, retry_after: int) -> None:
        super().__init__(f"rate limit for {scope}")
        self.scope = scope
        self.retry_after = retry_after


class WindowCount(NamedTuple):
    count: int
    seconds_left: int
    window_start: int


def _window_start(window: int, at: datetime | None = None) -> tuple[int, int]:
    now = int((at or datetime.now(timezone.utc)).timestamp())
    return now // window * window, now


def _doc_id(scope: str, key: str, window_start: int) -> str:
    return f"{scope}:{key}:{window_start}"


def count_add(*, scope: str, key: str, window: int, token: str = "", at: datetime | None = None) -> WindowCount:
    """Add one to the count of the window holding `at` (default now; atomic upsert) and return it.

    With a `token` (a form's idempotency key) the window counts distinct tokens, so the same form
    posted again, or replayed from the spool after a crash, counts once."""
    window_start, now = _window_start(window, at)
    update: dict = {"$setOnInsert": {"expires_at": datetime.fromtimestamp(window_start + window, timezone.utc)}}
    if token:
        update["$addToSet"] = {"tokens": token}
    else:
        update["$inc"] = {"count": 1}
    doc = upsert_and_fetch(connection.get_collection(COLLECTION), {"_id": _doc_id(scope, key, window_start)}, update)
    count = len(doc["tokens"]) if token else doc["count"]
    return WindowCount(count, max(1, window_start + window - now), window_start)


def count_get(*, scope: str, key: str, window: int) -> WindowCount:
    """This window's count, without adding to it."""
    window_start, now = _window_start(window)
    doc = connection.get_collection(COLLECTION).find_one({"_id": _doc_id(scope, key, window_start)}, {"count": 1})
    return WindowCount(doc["count"] if doc else 0, max(1, window_start + window - now), window_start)


def count_clear(*, scope: str, key: str, window: int) -> None:
    window_start, _ = _window_start(window)
    connection.get_collection(COLLECTION).delete_one({"_id": _doc_id(scope, key, window_start)})


def counts_forget(*, scope: str, key: str) -> int:
    """Delete every window's counter of one key (GDPR erasure); returns how many went."""
    pattern = f"^{re.escape(_doc_id(scope, key, 0)[:-1])}"
    return connection.get_collection(COLLECTION).delete_many({"_id": {"$regex": pattern}}).deleted_count


def hit(*, scope: str, key: str, limit: int, window: int, token: str = "", at: datetime | None = None) -> None:
    """Count one hit; raise RateLimited when the window already holds `limit` hits."""
    counted = count_add(scope=scope, key=key, window=window, token=token, at=at)
    if counted.count > limit:
        raise RateLimited(scope, retry_after=counted.seconds_left)


class Counter(NamedTuple):
    scope: str
    key: str
    limit: int
    window: int


def admit_update(counter: Counter, token: str, at: datetime | None) -> tuple[dict, dict]:
    """The upsert that adds `token` to the counter's window only while it holds fewer than `limit` tokens."""
    window_start, _ = _window_start(counter.window, at)
    return (
        {"_id": _doc_id(counter.scope, counter.key, window_start), f"tokens.{counter.limit - 1}": {"$exists": False}},
        {"$setOnInsert": {"expires_at": datetime.fromtimestamp(window_start + counter.window, timezone.utc)},
         "$addToSet": {"tokens": token}},
    )


def _admit_slowly(counter: Counter, token: str, at: datetime | None, *, attempts: int = 3) -> None:
    """admit_update after it collided: read the window, then pass (the token is in it already), refuse
    (the window is full) or try again (another request made the counter first)."""
    collection = connection.get_collection(COLLECTION)
    window_start, now = _window_start(counter.window, at)
    for _ in range(attempts):
        doc = collection.find_one({"_id": _doc_id(counter.scope, counter.key, window_start)}, {"tokens": 1}) or {}
        if token in doc.get("tokens", []):
            return
        if len(doc.get("tokens", [])) >= counter.limit:
            raise RateLimited(counter.scope, retry_after=max(1, window_start + counter.window - now))
        try:
            collection.update_one(*admit_update(counter, token, at), upsert=True)
            return
        except DuplicateKeyError:
            continue
    raise RateLimited(counter.scope, retry_after=max(1, window_start + counter.window - now))


def hits(*, counters: list[Counter], token: str, at: datetime | None = None) -> None:
    """Count one form (`token`, its idempotency key) on several counters, in one write; raise
    RateLimited for the first counter whose window already holds `limit` other forms.

    Each counter's update is conditional: it adds the token only while the window holds fewer than
    `limit` tokens, so it applies exactly when the form may pass, and the write's result says so
    without reading the counter back. A window holds only the forms it let through. An update
    that matches nothing is an upsert that collides with the existing counter (E11000): the
    window is full, or this form is in it already, or another request made the counter first; as
    the bulk is ordered (the updates after it did not run), that counter and the rest are then
    decided one by one, with a read."""
    if not token or any(counter.limit < 1 for counter in counters):
        for counter in counters:
            hit(scope=counter.scope, key=counter.key, limit=counter.limit, window=counter.window, token=token, at=at)
        return
    try:
        if counters:
            connection.get_collection(COLLECTION).bulk_write(
                [UpdateOne(*admit_update(counter, token, at), upsert=True) for counter in counters], ordered=True
            )
    except BulkWriteError as exc:
        errors = exc.details.get("writeErrors") or []
        if exc.details.get("writeConcernErrors") or not errors or errors[0].get("code") != 11000:
            raise
        for counter in counters[errors[0]["index"]:]:
            _admit_slowly(counter, token, at)


_local_lock = threading.Lock()
_local_windows: dict[str, tuple[int, set[str]]] = {}  # doc id -> (window end, tokens)


def hit_local(*, scope: str, key: str, limit: int, window: int, token: str) -> None:
    """`hit` in this process's memory, for while MongoDB is unreachable: each process then limits on
    its own (N processes admit at most N times the limit), and the spool replay checks again."""
    window_start, now = _window_start(window)
    doc_id = _doc_id(scope, key, window_start)
    with _local_lock:
        for stale in [k for k, (end, _) in _local_windows.items() if end <= now]:
            del _local_windows[stale]
        tokens = _local_windows.setdefault(doc_id, (window_start + window, set()))[1]
        tokens.add(token)
        count = len(tokens)
    if count > limit:
        raise RateLimited(scope, retry_after=max(1, window_start + window - now))


def local_reset() -> None:
    with _local_lock:
        _local_windows.clear()
