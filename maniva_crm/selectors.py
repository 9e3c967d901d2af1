"""Reads of the CRM: the inbox, a lead's timeline, the dashboard, the audit log, a person's data.

The inbox queries pymongo directly with filters its indexes can serve. The embedded server
materialises every index candidate before sorting and limiting, so the newest page is read in
slices of recent activity ({field: value, last_activity_at: {$gte: a, $lt: b}} rides a compound
index), newest first, until a page is full; the last slice is unbounded, so results are those of one
unbounded query, only cheaper. On MongoDB this costs nothing.
"""
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import date, datetime, time, timedelta, timezone as dt_timezone

from bson import ObjectId
from bson.errors import InvalidId
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.urls import get_script_prefix, reverse
from django.utils import timezone

from contact.models import Lead, LeadStatus, Message, OutboxStatus
from contact.search import query_terms
from analytics.selectors import latest_report
from contact.selectors import outbox_statuses
from maniva_crm.models import AuditEntry, Note

PER_PAGE = 50
FIRST_WINDOW_DAYS = 1 / 24  # an hour: the windows then grow by the density they find
HISTORY_DAYS = 3 * 365  # past this, a window bounds nothing worth bounding
# Each order ends with _id, so that leads with equal keys (two messages in one millisecond, one name)
# keep one order from page to page and from one request to the next.
SORTS = {
    "recent": [("last_activity_at", -1), ("_id", -1)],
    "oldest": [("last_activity_at", 1), ("_id", 1)],
    "created": [("created_at", -1), ("_id", -1)],
    "name": [("name", 1), ("_id", 1)],
    "messages": [("message_count", -1), ("last_activity_at", -1), ("_id", -1)],
}
LIST_FIELDS = ["_id", "name", "email", "company", "status", "assignee_id", "tags", "country", "message_count",
               "is_spam", "created_at", "last_activity_at", "last_subject", "kinds"]


@dataclass(frozen=True)
class InboxFilters:
    q: str = ""
    status: str = ""
    assignee: str = ""  # "", "none", or a user id
    tag: str = ""
    country: str = ""
    kind: str = ""
    date_from: date | None = None
    date_to: date | None = None
    spam: str = "hide"  # "hide", "only", "any"
    sort: str = "recent"

    def as_query(self) -> dict[str, str]:
        values = {k: getattr(self, k) for k in self.__dataclass_fields__}
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items() if v not in ("", None)}


@dataclass
class LeadRow:
    id: str
    name: str
    email: str
    company: str
    status: str
    assignee: str
    tags: list[str]
    country: str
    message_count: int
    is_spam: bool
    created_at: datetime
    last_activity_at: datetime
    last_subject: str
    kinds: list[str] = field(default_factory=list)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def url(self) -> str:
        return _lead_url_prefix() + self.id + "/"

    @property
    def activity_iso(self) -> str:
        return self.last_activity_at.isoformat() if self.last_activity_at else ""

    @property
    def activity_display(self) -> str:
        """Formatted here, not with |date: the template filter costs a locale lookup per row."""
        return timezone.localtime(self.last_activity_at).strftime("%Y-%m-%d %H:%M") if self.last_activity_at else ""


STATUS_LABELS = dict(LeadStatus.choices)


def _lead_url_prefix() -> str:
    return _lead_url_prefix_under(get_script_prefix())


@lru_cache(maxsize=8)
def _lead_url_prefix_under(script_prefix: str) -> str:
    """Reversed once per script prefix, not once per inbox row."""
    return reverse("crm:lead", args=["0" * 24])[:-25]


@dataclass
class InboxPage:
    rows: list[LeadRow]
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def leads_collection():
    return connection.get_collection(Lead._meta.db_table)


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt_timezone.utc)
    return value


def _object_id(value: str) -> ObjectId | None:
    try:
        return ObjectId(value)
    except (InvalidId, TypeError):
        return None


def inbox_match(filters: InboxFilters, *, terms: list[str] | None = None, with_status: bool = True) -> dict:
    """The MongoDB filter of the inbox. `terms` overrides the search terms (the caller checks the rest)."""
    match: dict = {}
    words = query_terms(filters.q) if terms is None else terms
    if len(words) == 1:
        match["search_terms"] = words[0]
    elif words:
        match["search_terms"] = {"$all": words}
    if with_status and filters.status:
        # a lead is spam exactly when its status is spam, so the status says all the spam filter would
        match["status"] = filters.status
    elif with_status and filters.spam == "hide":
        match["is_spam"] = False
    elif with_status and filters.spam == "only":
        match["is_spam"] = True
    if filters.assignee == "none":
        match["assignee_id"] = None
    elif filters.assignee:
        match["assignee_id"] = _object_id(filters.assignee)
    if filters.tag:
        match["tags"] = filters.tag
    if filters.country:
        match["country"] = filters.country.upper()
    if filters.kind:
        match["kinds"] = filters.kind
    created: dict = {}
    if filters.date_from:
        created["$gte"] = datetime.combine(filters.date_from, time.min, dt_timezone.utc)
    if filters.date_to:
        created["$lt"] = datetime.combine(filters.date_to + timedelta(days=1), time.min, dt_timezone.utc)
    if created:
        match["created_at"] = created
    return match


def _rarest_first(words: list[str]) -> list[str]:
    return sorted(words, key=len, reverse=True)


def _newest(match: dict, *, wanted: int, residual_terms: list[str], projection: dict) -> list[dict]:
    """The `wanted` newest matching leads, read in slices of activity going back in time: the newest
    hour, then each slice older than the last and wider by the density found, the last one unbounded.
    Each lead is read once, however many slices it takes."""
    collection = leads_collection()
    now = timezone.now()
    docs: list[dict] = []
    newer_read_from: datetime | None = None  # the slices read so far cover [this, now]
    days: float | None = FIRST_WINDOW_DAYS
    while True:
        bounds = {}
        if days is not None:
            bounds["$gte"] = now - timedelta(days=days)
        if newer_read_from is not None:
            bounds["$lt"] = newer_read_from
        cursor = collection.find({**match, "last_activity_at": bounds} if bounds else match, projection).sort(SORTS["recent"])
        if not residual_terms:
            cursor = cursor.limit(wanted - len(docs))
        docs.extend(d for d in cursor if all(t in d.get("search_terms", ()) for t in residual_terms))
        if len(docs) >= wanted or days is None:
            return docs[:wanted]
        newer_read_from = bounds["$gte"]
        days = _next_window(days, found=len(docs), wanted=wanted)


def _next_window(days: float, *, found: int, wanted: int) -> float | None:
    """Grow the window by the density seen so far (at least 4x), then give up bounding it."""
    days *= max(4.0, 1.5 * wanted / max(1, found))
    return None if days > HISTORY_DAYS else days


def inbox_page(
    *, filters: InboxFilters, page: int = 1, per_page: int = PER_PAGE, usernames: dict | None = None
) -> InboxPage:
    """One page of the inbox. `usernames` (user id -> name) spares looking up assignees already known."""
    page = max(1, page)
    wanted = page * per_page + 1
    words = _rarest_first(query_terms(filters.q))
    projection = dict.fromkeys(LIST_FIELDS, 1)
    if filters.sort == "recent" or filters.sort not in SORTS:
        residual = words[1:]
        if residual:
            projection["search_terms"] = 1
        docs = _newest(inbox_match(filters, terms=words[:1]), wanted=wanted, residual_terms=residual, projection=projection)
        chunk = docs[(page - 1) * per_page :]
    else:
        cursor = leads_collection().find(inbox_match(filters), projection).sort(SORTS[filters.sort])
        chunk = list(cursor.skip((page - 1) * per_page).limit(per_page + 1))
    rows = _rows(chunk[:per_page], usernames=usernames)
    return InboxPage(rows=rows, number=page, has_next=len(chunk) > per_page)


def _rows(docs: list[dict], *, usernames: dict | None = None) -> list[LeadRow]:
    users = dict(usernames or {})
    unknown = {d["assignee_id"] for d in docs if d.get("assignee_id")} - users.keys()
    if unknown:
        users.update((u.pk, u.get_username()) for u in get_user_model().objects.filter(pk__in=unknown))
    return [
        LeadRow(
            id=str(d["_id"]),
            name=d.get("name", ""),
            email=d.get("email", ""),
            company=d.get("company", ""),
            status=d.get("status", ""),
            assignee=users.get(d.get("assignee_id"), ""),
            tags=d.get("tags") or [],
            country=d.get("country", ""),
            message_count=d.get("message_count", 0),
            is_spam=d.get("is_spam", False),
            created_at=_aware(d.get("created_at")),
            last_activity_at=_aware(d.get("last_activity_at")),
            last_subject=d.get("last_subject", ""),
            kinds=d.get("kinds") or [],
        )
        for d in docs
    ]


def inbox_status_counts(*, filters: InboxFilters) -> dict[str, int]:
    """Leads per status under the current filters, whatever status or spam filter is selected."""
    counts = dict.fromkeys(LeadStatus.values, 0)
    pipeline = [{"$match": inbox_match(filters, with_status=False)}, {"$group": {"_id": "$status", "n": {"$sum": 1}}}]
    for row in leads_collection().aggregate(pipeline):
        if row["_id"] in counts:
            counts[row["_id"]] = row["n"]
    return counts


def inbox_export_rows(*, filters: InboxFilters):
    """Every lead of the filtered inbox, streamed from the database in batches."""
    cursor = leads_collection().find(inbox_match(filters), dict.fromkeys(LIST_FIELDS, 1)).sort(SORTS.get(filters.sort, SORTS["recent"]))
    batch: list[dict] = []
    for doc in cursor.batch_size(500):
        batch.append(doc)
        if len(batch) == 500:
            yield from _rows(batch)
            batch = []
    yield from _rows(batch)


def lead_get(*, pk: str) -> Lead | None:
    if _object_id(pk) is None:
        return None
    return Lead.objects.select_related("assignee").defer("search_terms").filter(pk=pk).first()


@dataclass
class TimelineItem:
    at: datetime
    kind: str  # "message", "note" or an AuditAction value
    actor: str
    text: str
    obj: object | None = None
    state: str = ""  # a reply's delivery, as far as the outbox knows it
    pk: ObjectId | None = None  # the record's id: orders items stored within one millisecond


def _reply_state(status: str | None) -> str:
    if status == OutboxStatus.DONE:
        return "sent" if settings.EMAIL_HOST else "caught, not sent (no EMAIL_HOST)"
    if status == OutboxStatus.DEAD:
        return "could not be sent"
    if status == OutboxStatus.PENDING:
        return "not sent yet"
    return ""


def lead_timeline(*, lead: Lead) -> list[TimelineItem]:
    """Messages received, notes and staff actions on one lead, newest first."""
    items = [TimelineItem(at=m.received_at, kind="message", actor=m.name, text=m.subject, obj=m, pk=m.pk)
             for m in Message.objects.filter(lead_id=lead.pk).only("received_at", "name", "subject", "kind")]
    notes = {str(n.pk): n for n in Note.objects.filter(lead_id=lead.pk).select_related("author")}
    entries = list(AuditEntry.objects.filter(lead_id=lead.pk))
    replies = outbox_statuses(ids=[e.data["job_id"] for e in entries if e.action == "reply" and e.data.get("job_id")])
    for entry in entries:
        note = notes.get(entry.data.get("note_id", "")) if entry.action == "note" else None
        state = _reply_state(replies.get(entry.data.get("job_id", ""))) if entry.action == "reply" else ""
        items.append(TimelineItem(at=entry.created_at, kind=entry.action, actor=entry.actor_name,
                                  text=_entry_text(entry), obj=note, state=state, pk=entry.pk))
    return sorted(items, key=lambda item: (item.at, item.pk), reverse=True)


def _entry_text(entry: AuditEntry) -> str:
    data = entry.data
    if entry.action == "status":
        return f"{data.get('from', '')} → {data.get('to', '')}"
    if entry.action == "assign":
        return f"to {data.get('to') or 'nobody'}"
    if entry.action == "tags":
        return ", ".join(data.get("to", [])) or "no tags"
    if entry.action == "reply":
        return data.get("subject", "")
    return ""


def messages_of(*, lead: Lead) -> list[Message]:
    return list(Message.objects.filter(lead_id=lead.pk).order_by("-received_at", "-pk"))


def audit_page(*, page: int = 1, per_page: int = 100) -> tuple[list[AuditEntry], bool]:
    offset = (max(1, page) - 1) * per_page
    entries = list(AuditEntry.objects.select_related("lead").defer("lead__search_terms").order_by("-created_at", "-pk")[offset : offset + per_page + 1])
    return entries[:per_page], len(entries) > per_page


def staff_users():
    return get_user_model().objects.filter(is_staff=True, is_active=True).order_by("username")


def accounts_with_roles() -> list[tuple]:
    """(user, "Sales, Managers") for every active account; group names read join-free."""
    from django.contrib.auth.models import Group

    users = list(get_user_model().objects.filter(is_active=True).order_by("username"))
    groups = dict(Group.objects.order_by().values_list("pk", "name"))
    links = get_user_model().groups.through.objects.order_by().values_list("user_id", "group_id")
    names: dict = {}
    for user_id, group_id in links:
        names.setdefault(user_id, []).append(groups.get(group_id, ""))
    return [(user, ", ".join(sorted(names.get(user.pk, []))) or "—") for user in users]


def person_data(*, lead: Lead) -> dict:
    """Everything stored about one person, for a GDPR access request."""
    def plain(obj, exclude=()) -> dict:
        out = {}
        for f in obj._meta.concrete_fields:
            if f.attname in exclude:
                continue
            value = getattr(obj, f.attname)
            out[f.attname] = value.isoformat() if isinstance(value, (datetime, date)) else (str(value) if isinstance(value, ObjectId) else value)
        return out

    return {
        "lead": plain(lead, exclude=("search_terms",)),
        "messages": [plain(m, exclude=("search_terms",)) for m in Message.objects.filter(lead_id=lead.pk).order_by("received_at", "pk")],
        "notes": [plain(n) for n in Note.objects.filter(lead_id=lead.pk).order_by("created_at", "pk")],
        "timeline": [plain(e) for e in AuditEntry.objects.filter(lead_id=lead.pk).order_by("created_at", "pk")],
    }


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
    leads = leads_collection()
    messages = connection.get_collection(Message._meta.db_table)
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
        {"$match": {"received_at": {"$gte": since}}},
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
