"""Reads for other apps: the CRM dashboard shows the latest stored report."""
from pymongo import DESCENDING

from analytics.services import REPORTS, analytics_database


def latest_report() -> dict | None:
    """Results of the newest stored report (JSON-able: created_at, counts, lengths, terms, topics,
    spam, charts as name → base64 PNG), or None before the first `analytics report`."""
    # Two reports stored within one millisecond (the stored time's precision): the later insert wins.
    newest = [("created_at", DESCENDING), ("_id", DESCENDING)]
    document = analytics_database()[REPORTS].find_one({}, {"_id": 0, "results": 1}, sort=newest)
    return document["results"] if document else None


def spam_model_info() -> dict | None:
    """The saved model's version, data hash, training date and metrics (without the model)."""
    from analytics.scoring import loaded_model

    bundle = loaded_model()
    return {key: value for key, value in bundle.items() if key != "model"} if bundle else None
