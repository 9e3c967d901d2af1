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
        # only figures with their sample size (analytics.analyses.model_quality); older reports' bare metrics are not shown
        "quality": [entry for entry in spam.get("quality") or [] if entry.get("n")],
        "spam_model": spam.get("model") or {},
        "topics": topics.get("topics", []) if isinstance(topics, dict) else [],
        "changes": report.get("changes"),
        "charts": [_chart(name, chart) for name, chart in (report.get("charts") or {}).items()],
    }


def _chart(name: str, chart: dict | str) -> dict:
    """A stored chart as the template shows it; a report stored before charts had titles holds a bare PNG."""
    if isinstance(chart, str):
        return {"title": name.replace("_", " ").capitalize(), "caption": "", "image": f"data:image/png;base64,{chart}"}
    return {key: chart.get(key, "") for key in ("title", "caption", "image", "x_label", "y_label")}
