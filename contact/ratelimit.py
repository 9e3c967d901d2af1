"""Fixed-window rate limits kept in MongoDB, so that every web process on every machine shares them,
with a per-process stand-in for the moments MongoDB is unreachable."""
import re
import threading
from datetime import datetime, timezone
from typing import NamedTuple

from django.db import connection
from pymongo import UpdateOne
from pymongo.errors import BulkWriteError

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


def hits(*, counters: list[Counter], token: str, at: datetime | None = None) -> None:
    """`hit` on several counters with one token (a form's idempotency key), in one write.

    Each counter's update is conditional: it adds the token only while the window holds fewer than
    `limit` tokens, so it applies exactly when `hit` would let the form through, and its result
    says so without reading the counter back. An update that matches nothing is an upsert that
    collides with the existing counter (E11000): the window is full, or another request made the
    counter first, or this token is already in a full window. From the first such counter on (the
    bulk is ordered: the updates after it did not run), `hit` decides, as it would have alone."""
    if not token or any(counter.limit < 1 for counter in counters):
        for counter in counters:
            hit(scope=counter.scope, key=counter.key, limit=counter.limit, window=counter.window, token=token, at=at)
        return
    updates = []
    for counter in counters:
        window_start, _ = _window_start(counter.window, at)
        updates.append(UpdateOne(
            {"_id": _doc_id(counter.scope, counter.key, window_start), f"tokens.{counter.limit - 1}": {"$exists": False}},
            {"$setOnInsert": {"expires_at": datetime.fromtimestamp(window_start + counter.window, timezone.utc)},
             "$addToSet": {"tokens": token}},
            upsert=True,
        ))
    try:
        if updates:
            connection.get_collection(COLLECTION).bulk_write(updates, ordered=True)
    except BulkWriteError as exc:
        errors = exc.details.get("writeErrors") or []
        if exc.details.get("writeConcernErrors") or not errors or errors[0].get("code") != 11000:
            raise
        for counter in counters[errors[0]["index"]:]:
            hit(scope=counter.scope, key=counter.key, limit=counter.limit, window=counter.window, token=token, at=at)


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
