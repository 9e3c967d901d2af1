"""The dashboard's figures: MongoDB aggregations laid out as bar charts for server-rendered SVG."""
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import timezone

from contact.models import LeadStatus
from contact.selectors import lead_collection, lead_status_counts, message_collection
from maniva_crm.models import DashboardFigures
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
    """A bar chart laid out for server-rendered SVG (no script, no inline style: the CSP allows neither).
    Its axes are named in words and `caption` says in one sentence what it shows; the colours and
    font are the site's (static/css/crm.css styles the classes with the brand's custom properties)."""

    title: str
    bars: list[Bar]
    x_label: str = ""
    y_label: str = ""
    caption: str = ""
    unit: str = ""
    width: int = 640
    height: int = 250

    LEFT = 34  # room for the y axis's label
    TOP = 20
    BOTTOM = 58  # the bars' labels, then the x axis's label

    def __post_init__(self) -> None:
        top = max((bar.value for bar in self.bars), default=0) or 1
        slot = (self.width - self.LEFT - 10) / max(1, len(self.bars))
        plot = self.plot_bottom - self.TOP
        for i, bar in enumerate(self.bars):
            bar.width = max(2.0, slot * 0.7)
            bar.height = round(plot * bar.value / top, 1)
            bar.x = round(self.LEFT + i * slot + slot * 0.15, 1)
            bar.y = round(self.TOP + plot - bar.height, 1)

    @property
    def plot_bottom(self) -> int:
        return self.height - self.BOTTOM

    @property
    def label_y(self) -> int:
        return self.plot_bottom + 16

    @property
    def x_label_y(self) -> int:
        return self.height - 10

    @property
    def x_label_x(self) -> float:
        return (self.LEFT + self.width) / 2

    @property
    def y_label_y(self) -> float:
        return (self.TOP + self.plot_bottom) / 2

    @property
    def total(self) -> float:
        return sum(bar.value for bar in self.bars)

    @property
    def largest(self) -> Bar | None:
        """The highest bar (the first of equals, in the chart's order)."""
        return max(self.bars, key=lambda bar: bar.value, default=None) if self.total else None


def _captioned(chart: Chart, sentence: Callable[[Chart], str]) -> Chart:
    chart.caption = sentence(chart) if chart.total else f"{chart.title}: no data yet."
    return chart


def _grouped(collection, pipeline: list[dict]) -> list[dict]:
    return list(collection.aggregate(pipeline))


WEEKS = 12
RESPONSE_BUCKETS = ("< 1 h", "< 1 day", "1–3 days", "> 3 days")


def dashboard_figures_compute(*, weeks: int = WEEKS) -> dict:
    """The dashboard's passes over the leads and messages, each one MongoDB pipeline, as plain rows
    (stored as they are: maniva_crm.models.DashboardFigures)."""
    leads = lead_collection()
    messages = message_collection()
    since = timezone.now() - timedelta(weeks=weeks)
    per_week = _grouped(leads, [
        {"$match": {"created_at": {"$gte": since}, "is_spam": False}},
        {"$group": {"_id": {"$dateTrunc": {"date": "$created_at", "unit": "week"}}, "n": {"$sum": 1}}},
        {"$sort": {"_id": 1}},
    ])
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
                {"case": {"$lt": ["$hours", 1]}, "then": RESPONSE_BUCKETS[0]},
                {"case": {"$lt": ["$hours", 24]}, "then": RESPONSE_BUCKETS[1]},
                {"case": {"$lt": ["$hours", 72]}, "then": RESPONSE_BUCKETS[2]},
            ], "default": RESPONSE_BUCKETS[3]}},
            "n": {"$sum": 1},
            "hours": {"$sum": "$hours"},
        }},
    ])
    return {
        "per_week": [[_aware(row["_id"]).date().isoformat(), row["n"]] for row in per_week if row["_id"]],
        "by_country": [[row["_id"] or "?", row["n"]] for row in by_country],
        "by_form": [[str(row["_id"]), row["n"]] for row in by_form],
        "response": {row["_id"]: [row["n"], row["hours"]] for row in response},
    }


def dashboard_figures_stored() -> DashboardFigures | None:
    """The figures last computed (maniva_crm.services.dashboard_figures_refresh keeps one)."""
    return DashboardFigures.objects.order_by("-computed_at").first()


def dashboard_stats(*, stored: DashboardFigures | None = None, weeks: int = WEEKS) -> dict:
    """The dashboard's charts: leads by status from the maintained counts, as they are now; the
    others from `stored` (or computed now, unstored, when it is None)."""
    figures = stored.figures if stored is not None else dashboard_figures_compute(weeks=weeks)
    weeks = stored.weeks if stored is not None else weeks
    by_status = lead_status_counts()  # maintained: a pass over every lead took 1.4 s at 30,000
    response = figures["response"]
    answered = sum(n for n, _ in response.values())
    fast = sum(response.get(bucket, [0])[0] for bucket in RESPONSE_BUCKETS[:2])
    return {
        "computed_at": stored.computed_at if stored is not None else None,
        "per_week": _captioned(
            Chart("New leads per week", [Bar(date.fromisoformat(day).strftime("%d %b"), n) for day, n in figures["per_week"]],
                  x_label="Week starting", y_label="New leads"),
            lambda c: f"New leads each week over the last {weeks} weeks, spam left out: {c.total:,} in all, "
                      f"the most in the week of {c.largest.label} ({c.largest.value:,}).",
        ),
        "by_status": _captioned(
            Chart("Leads by status", [Bar(label, by_status.get(value, 0)) for value, label in LeadStatus.choices],
                  x_label="Status", y_label="Leads"),
            lambda c: f"Where all {c.total:,} leads stand now; the largest group is {c.largest.label.lower()} ({c.largest.value:,}).",
        ),
        "by_country": _captioned(
            Chart("Leads by country", [Bar(country, n) for country, n in figures["by_country"]],
                  x_label="Country (ISO code; ? where unknown)", y_label="Leads"),
            lambda c: f"The {len(c.bars)} countries most leads write from, spam left out; {c.largest.label} leads with {c.largest.value:,}.",
        ),
        "by_form": _captioned(
            Chart(f"Messages by form, last {weeks} weeks", [Bar(kind.title(), n) for kind, n in figures["by_form"]],
                  x_label="Form or channel", y_label="Messages received"),
            lambda c: f"Which form the {c.total:,} messages of the last {weeks} weeks came through; most through {c.largest.label.lower()} ({c.largest.value:,}).",
        ),
        "response": _captioned(
            Chart("Time to first contact", [Bar(bucket, response.get(bucket, [0])[0]) for bucket in RESPONSE_BUCKETS],
                  x_label="Time from the lead's arrival to our first contact", y_label="Leads"),
            lambda c: f"How soon the {c.total:,} leads we contacted heard from us: {round(100 * fast / c.total)}% within a day.",
        ),
        "response_avg_hours": round(sum(hours for _, hours in response.values()) / answered, 1) if answered else None,
        "answered": answered,
    }
