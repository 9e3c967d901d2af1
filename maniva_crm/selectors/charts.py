"""The dashboard's figures: MongoDB aggregations laid out as bar charts for server-rendered SVG."""
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from contact.models import LeadStatus
from contact.selectors import lead_collection, message_collection
from maniva_crm.selectors.inbox import _aware


@dataclass
class Bar:
    label: str
    value: float
    x: float = 0
    y: float = 0
    width: float = 0
    height: float = 0


@dataclass
class Chart:
    """A bar chart laid out for server-rendered SVG (no script, no inline style: the CSP allows neither)."""

    title: str
    bars: list[Bar]
    unit: str = ""
    width: int = 640
    height: int = 220

    def __post_init__(self) -> None:
        top = max((bar.value for bar in self.bars), default=0) or 1
        slot = (self.width - 20) / max(1, len(self.bars))
        plot = self.height - 50
        for i, bar in enumerate(self.bars):
            bar.width = max(2.0, slot * 0.7)
            bar.height = round(plot * bar.value / top, 1)
            bar.x = round(10 + i * slot + slot * 0.15, 1)
            bar.y = round(20 + plot - bar.height, 1)

    @property
    def total(self) -> float:
        return sum(bar.value for bar in self.bars)


def _grouped(collection, pipeline: list[dict]) -> list[dict]:
    return list(collection.aggregate(pipeline))


def dashboard_stats(*, weeks: int = 12) -> dict:
    """Aggregations for the dashboard, each one MongoDB pipeline."""
    leads = lead_collection()
    messages = message_collection()
    since = timezone.now() - timedelta(weeks=weeks)
    per_week = _grouped(leads, [
        {"$match": {"created_at": {"$gte": since}, "is_spam": False}},
        {"$group": {"_id": {"$dateTrunc": {"date": "$created_at", "unit": "week"}}, "n": {"$sum": 1}}},
        {"$sort": {"_id": 1}},
    ])
    by_status = {row["_id"]: row["n"] for row in _grouped(leads, [{"$group": {"_id": "$status", "n": {"$sum": 1}}}])}
    by_country = _grouped(leads, [
        {"$match": {"is_spam": False}},
        {"$group": {"_id": "$country", "n": {"$sum": 1}}},
        {"$sort": {"n": -1, "_id": 1}},  # which countries make the twelve must not depend on ties
        {"$limit": 12},
    ])
    by_form = _grouped(messages, [
        {"$match": {"received_at": {"$gte": since}, "direction": {"$ne": "out"}}},  # received, not our replies
        {"$group": {"_id": "$kind", "n": {"$sum": 1}}},
        {"$sort": {"_id": 1}},
    ])
    response = _grouped(leads, [
        {"$match": {"first_contacted_at": {"$ne": None}}},
        {"$project": {"hours": {"$divide": [{"$subtract": ["$first_contacted_at", "$created_at"]}, 3_600_000]}}},
        {"$group": {
            "_id": {"$switch": {"branches": [
                {"case": {"$lt": ["$hours", 1]}, "then": "< 1 h"},
                {"case": {"$lt": ["$hours", 24]}, "then": "< 1 day"},
                {"case": {"$lt": ["$hours", 72]}, "then": "1–3 days"},
            ], "default": "> 3 days"}},
            "n": {"$sum": 1},
            "hours": {"$sum": "$hours"},
        }},
    ])
    answered = sum(row["n"] for row in response)
    buckets = {row["_id"]: row["n"] for row in response}
    return {
        "since": since,
        "per_week": Chart("New leads per week", [Bar(_aware(row["_id"]).strftime("%d %b"), row["n"]) for row in per_week if row["_id"]]),
        "by_status": Chart("Leads by status", [Bar(label, by_status.get(value, 0)) for value, label in LeadStatus.choices]),
        "by_country": Chart("Leads by country", [Bar(row["_id"] or "?", row["n"]) for row in by_country]),
        "by_form": Chart(f"Messages by form, last {weeks} weeks", [Bar(str(row["_id"]).title(), row["n"]) for row in by_form]),
        "response": Chart("Time to first contact", [Bar(label, buckets.get(label, 0)) for label in ("< 1 h", "< 1 day", "1–3 days", "> 3 days")]),
        "response_avg_hours": round(sum(row["hours"] for row in response) / answered, 1) if answered else None,
        "answered": answered,
    }
