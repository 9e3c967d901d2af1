"""Fixed-window rate limits kept in MongoDB, so that every web process on every machine shares them."""
from datetime import datetime, timezone
from typing import NamedTuple

from django.db import connection

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


def _window_start(window: int) -> tuple[int, int]:
    now = int(datetime.now(timezone.utc).timestamp())
    return now // window * window, now


def _doc_id(scope: str, key: str, window_start: int) -> str:
    return f"{scope}:{key}:{window_start}"


def count_add(*, scope: str, key: str, window: int) -> WindowCount:
    """Add one to this window's count (atomic upsert) and return the count after it."""
    window_start, now = _window_start(window)
    doc = upsert_and_fetch(
        connection.get_collection(COLLECTION),
        {"_id": _doc_id(scope, key, window_start)},
        {
            "$inc": {"count": 1},
            "$setOnInsert": {"expires_at": datetime.fromtimestamp(window_start + window, timezone.utc)},
        },
    )
    return WindowCount(doc["count"], max(1, window_start + window - now), window_start)


def count_get(*, scope: str, key: str, window: int) -> WindowCount:
    """This window's count, without adding to it."""
    window_start, now = _window_start(window)
    doc = connection.get_collection(COLLECTION).find_one({"_id": _doc_id(scope, key, window_start)}, {"count": 1})
    return WindowCount(doc["count"] if doc else 0, max(1, window_start + window - now), window_start)


def count_clear(*, scope: str, key: str, window: int) -> None:
    window_start, _ = _window_start(window)
    connection.get_collection(COLLECTION).delete_one({"_id": _doc_id(scope, key, window_start)})


def hit(*, scope: str, key: str, limit: int, window: int) -> None:
    """Count one hit; raise RateLimited when the window already holds `limit` hits."""
    counted = count_add(scope=scope, key=key, window=window)
    if counted.count > limit:
        raise RateLimited(scope, retry_after=counted.seconds_left)
