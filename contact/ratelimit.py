"""Fixed-window rate limits kept in MongoDB, so that every web process on every machine shares them."""
from datetime import datetime, timedelta, timezone

from django.db import connection

from maniva_webapp.mongo import upsert_and_fetch

COLLECTION = "contact_ratelimit"


class RateLimited(Exception):
    def __init__(self, scope: str, retry_after: int) -> None:
        super().__init__(f"rate limit for {scope}")
        self.scope = scope
        self.retry_after = retry_after


def hit(*, scope: str, key: str, limit: int, window: int) -> None:
    """Count one hit; raise RateLimited when the window already holds `limit` hits."""
    now = datetime.now(timezone.utc)
    window_start = int(now.timestamp()) // window * window
    doc = upsert_and_fetch(
        connection.get_collection(COLLECTION),
        {"_id": f"{scope}:{key}:{window_start}"},
        {
            "$inc": {"count": 1},
            "$setOnInsert": {"expires_at": datetime.fromtimestamp(window_start + window, timezone.utc)},
        },
    )
    if doc["count"] > limit:
        raise RateLimited(scope, retry_after=max(1, window_start + window - int(now.timestamp())))
