"""The analytics app's latest report, adapted for the dashboard."""
from datetime import datetime

from analytics.selectors import latest_report


def analytics_latest() -> dict | None:
    """The analytics app's latest report, or None before the first `analytics report`."""
    try:
        report = latest_report()
    except Exception:  # a broken report must not take the dashboard down
        import logging

        logging.getLogger(__name__).exception("latest analytics report failed")
        return None
    if not report:
        return None
    created = report.get("created_at")
    if isinstance(created, str):
        try:
            created = datetime.fromisoformat(created)
        except ValueError:
            created = None
    spam = report.get("spam") or {}
    topics = report.get("topics") or {}
    return {
        "created_at": created,
        "total": (report.get("counts") or {}).get("total"),
        "spam_metrics": spam.get("metrics") or {},
        "spam_model": spam.get("model") or {},
        "topics": topics.get("topics", []) if isinstance(topics, dict) else [],
        "charts": [(name.replace("_", " "), data) for name, data in (report.get("charts") or {}).items()],
    }
