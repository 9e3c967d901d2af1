"""The inbox: a page of leads under filters, counts per status, the rows of the CSV export.

The inbox queries pymongo directly with filters its indexes can serve. The embedded server
materialises every index candidate before sorting and limiting, so the newest page is read in
slices of recent activity ({field: value, last_activity_at: {$gte: a, $lt: b}} rides a compound
index), newest first, until a page is full; the last slice is unbounded, so results are those of one
unbounded query, only cheaper. On MongoDB this costs nothing. The other orders but oldest first
are read in slices of their own key the same way: creation time, initials, message counts.
"""
import string
from collections.abc import Callable
from dataclasses import dataclass, make_dataclass
from functools import lru_cache
from datetime import date, datetime, time, timedelta, timezone as dt_timezone

from bson import ObjectId
from bson.errors import InvalidId
from django.contrib.auth import get_user_model
from django.db.models import DateTimeField
from django.urls import get_script_prefix, reverse
from django.utils import timezone

from contact.models import Lead, LeadStatus
from contact.search import query_terms
from contact.selectors import INBOX_FIELDS, INBOX_PROJECTION, lead_collection, lead_status_counts
from maniva_webapp.memo import BoundedMemo

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
    awaiting: str = ""  # "1": only leads awaiting our reply (an inbound mail not answered yet)
    intent: str = ""  # an analytics.intent value, suggested or set by staff

    def as_query(self) -> dict[str, str]:
        values = {k: getattr(self, k) for k in self.__dataclass_fields__}
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items() if v not in ("", None)}


class _LeadRowBase:
    """What the inbox shows of a lead; its fields are the lead store's INBOX_FIELDS (see LeadRow)."""

    id: str
    status: str
    last_activity_at: datetime | None

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


def _row_reader(name: str) -> tuple[str, str, Callable[[object, dict], object]]:
    """(field, stored column, value from the stored value and the usernames) for one inbox field."""
    model_field = Lead._meta.get_field(name)
    if model_field.is_relation:  # the assignee: shown by username
        return name, model_field.column, lambda value, users: users.get(value, "")
    if isinstance(model_field, DateTimeField):
        return name, model_field.column, lambda value, users: _aware(value)
    default = model_field.get_default()
    if isinstance(default, list):
        return name, model_field.column, lambda value, users: value or []
    return name, model_field.column, lambda value, users: default if value is None else value


_ROW_READERS = [_row_reader(f.name) for f in INBOX_FIELDS]
LeadRow = make_dataclass("LeadRow", [("id", str), *((name, object) for name, _, _ in _ROW_READERS)], bases=(_LeadRowBase,))


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
    elif with_status and filters.spam == "review":  # the spam filter was unsure; staff have not decided yet
        match["needs_review"] = True
        match["is_spam"] = False
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
    if filters.intent:
        match["intent"] = filters.intent
    if filters.awaiting:
        match[Lead._meta.get_field("awaiting_reply").column] = True
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


def _newest(match: dict, *, wanted: int, residual_terms: list[str], projection: dict, by: str = "recent") -> list[dict]:
    """The `wanted` newest matching leads, read in slices of activity going back in time: the newest
    hour, then each slice older than the last and wider by the density found, the last one unbounded.
    Each lead is read once, however many slices it takes. The server gets the conditions one index
    serves; the others are checked here (`_index_served`). `by="created"`: newest created first, the
    slices of creation time read through its own index, every condition of `match` checked here
    (no searched word: inbox_page sends those to the server's sort)."""
    collection = lead_collection()
    field = SORTS[by][0][0]
    served, residual = _index_served(match) if by == "recent" else ({}, match)
    projection = {**projection, **dict.fromkeys(residual, 1)}

    def kept(doc: dict) -> bool:
        return all(t in doc.get("search_terms", ()) for t in residual_terms) and _residual_holds(doc, residual)

    word = served.get("search_terms")
    if isinstance(word, str) and word not in _common_words:
        # A searched word usually names a few leads: read them all, unsorted, and sort them here, in
        # one round trip. The embedded server reads every match before it applies a limit, so this
        # costs what the word matches: only words not yet seen to match more than a page, and never
        # without a word (the whole inbox, a status), where it read every lead.
        few = list(collection.find(served, projection).limit(wanted + 1))
        if len(few) <= wanted:
            few.sort(key=_recent_key, reverse=True)
            return [d for d in few if kept(d)]
        _common_words.put(word)
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
        cursor = collection.find({**served, field: bounds} if bounds else served, projection).sort(SORTS[by])
        if not residual_terms and not residual:
            cursor = cursor.limit(wanted - len(docs))
        docs.extend(d for d in cursor if kept(d))
        if len(docs) >= wanted or days is None:
            return docs[:wanted]
        newer_read_from = bounds["$gte"]
        days = _next_window(days, found=len(docs), wanted=wanted)


# The leads' compound indexes that end in last_activity_at (contact.models.Lead.Meta.indexes), by
# their columns before it, the most selective first (a searched word names few leads, so it comes
# first even without the spam filter: its first probe has no range). The embedded server takes a
# slice through an index only when it names that index's columns and nothing else: one more
# condition (the default spam filter beside an assignee) and it reads every lead (tests/dbcompat).
# So a slice names the conditions of one of these, and the documents read are checked against the
# rest here.
SLICE_INDEXES = (
    ("message_count",),  # only the order by message count asks for one (_by_messages)
    ("search_terms", "is_spam"), ("search_terms",), ("assignee_id",), ("intent",), ("status",), ("needs_review",), ("awaiting_reply",),
    ("is_spam",),
)


def _index_served(match: dict) -> tuple[dict, dict]:
    """(the conditions an index in SLICE_INDEXES serves, the rest); (match, {}) when none does."""
    for columns in SLICE_INDEXES:
        if all(column in match and not isinstance(match[column], dict) for column in columns):
            return {c: match[c] for c in columns}, {c: v for c, v in match.items() if c not in columns}
    return match, {}


def _residual_holds(doc: dict, residual: dict) -> bool:
    """MongoDB's answer for the conditions inbox_match writes: a value (matched by an array field's
    element; None by a missing field), {"$all": values}, or a date range {"$gte": a, "$lt": b}."""
    for column, wanted in residual.items():
        value = doc.get(column)
        if isinstance(wanted, dict) and "$all" in wanted:
            if not all(w in (value if isinstance(value, list) else [value]) for w in wanted["$all"]):
                return False
        elif isinstance(wanted, dict):
            at = _aware(value)
            if not isinstance(at, datetime) or ("$gte" in wanted and at < wanted["$gte"]) or ("$lt" in wanted and at >= wanted["$lt"]):
                return False
        elif not (wanted in value if isinstance(value, list) else value == wanted):
            return False
    return True


# Words this process has seen match more than a page (at most COMMON_WORDS_MAX): their search goes
# straight to the slices. Only a cost choice: the answer is the same either way.
COMMON_WORDS_MAX = 4096
_common_words = BoundedMemo(COMMON_WORDS_MAX)


def _recent_key(doc: dict) -> tuple:
    """SORTS["recent"] (newest activity first, then the highest _id), applied with reverse=True."""
    return _aware(doc.get("last_activity_at")), doc["_id"]


def _next_window(days: float, *, found: int, wanted: int) -> float | None:
    """Grow the window by the density seen so far (at least 4x), then give up bounding it."""
    days *= max(4.0, 1.5 * wanted / max(1, found))
    return None if days > HISTORY_DAYS else days


def _range(low: object, high: object) -> dict:
    """{"$gte": low, "$lt": high}, an end left out where it is None."""
    return {op: bound for op, bound in (("$gte", low), ("$lt", high)) if bound is not None}


def _ranges_read(field: str, ranges: tuple, match: dict, *, wanted: int, projection: dict, key: Callable, reverse: bool = False) -> list[dict]:
    """The first `wanted` matching leads, read a range of `field` at a time through its index in the
    order of `ranges`, each range sorted here by `key`, every condition of `match` checked here."""
    collection = lead_collection()
    projection = {**projection, field: 1, **dict.fromkeys(match, 1)}
    docs: list[dict] = []
    for low, high in ranges:
        found = [doc for doc in collection.find({field: _range(low, high)}, projection) if _residual_holds(doc, match)]
        docs.extend(sorted(found, key=key, reverse=reverse))
        if len(docs) >= wanted:
            break
    return docs[:wanted]


def _by_created(match: dict, *, wanted: int, projection: dict) -> list[dict]:
    return _newest(match, wanted=wanted, residual_terms=[], projection=projection, by="created")


# The name order's slices: names below "A" ("" and digits), one slice per ASCII letter (capitals
# sort before small letters), and from "z" on (accented initials).
_NAME_BOUNDS = (*string.ascii_uppercase, *string.ascii_lowercase)
NAME_RANGES = tuple(zip((None, *_NAME_BOUNDS), (*_NAME_BOUNDS, None), strict=True))


def _by_name(match: dict, *, wanted: int, projection: dict) -> list[dict]:
    """By name (then _id), a slice of initials at a time from the lowest up: the server would read
    and sort every matching lead (2.7 s at 30,000). A slice with no name costs one short round trip."""
    return _ranges_read("name", NAME_RANGES, match, wanted=wanted, projection=projection, key=lambda doc: (doc["name"], doc["_id"]))


# The message-count order's slices: the few leads with many messages in ranges halving down to
# MANY_MESSAGES, then each smaller count on its own, newest first in slices of activity through
# the (message_count, last_activity_at) index (_newest).
MANY_MESSAGES = 8
MANY_MESSAGES_RANGES = ((256, None), (128, 256), (64, 128), (32, 64), (16, 32), (MANY_MESSAGES, 16))


def _by_messages(match: dict, *, wanted: int, projection: dict) -> list[dict]:
    """By message count (most first), then latest activity, then _id: the server would read and
    sort every matching lead (2.4 s at 30,000)."""
    docs = _ranges_read("message_count", MANY_MESSAGES_RANGES, match, wanted=wanted, projection={**projection, "last_activity_at": 1},
                        key=lambda doc: (doc["message_count"], _recent_key(doc)), reverse=True)
    for count in (*range(MANY_MESSAGES - 1, -1, -1), None):  # None: a lead without a count, last as the server sorts it
        if len(docs) >= wanted:
            break
        docs.extend(_newest({"message_count": count, **match}, wanted=wanted - len(docs), residual_terms=[], projection=projection))
    return docs[:wanted]


# The orders read in slices of their own key when no word is searched (a word's index narrows the
# server's sort enough); the others, and the recent order's slices above, are inbox_page's.
SLICED_ORDERS: dict[str, Callable[..., list[dict]]] = {"created": _by_created, "name": _by_name, "messages": _by_messages}


def inbox_page(
    *, filters: InboxFilters, page: int = 1, per_page: int = PER_PAGE, usernames: dict | None = None
) -> InboxPage:
    """One page of the inbox. `usernames` (user id -> name) spares looking up assignees already known."""
    page = max(1, page)
    wanted = page * per_page + 1
    words = _rarest_first(query_terms(filters.q))
    projection = dict(INBOX_PROJECTION)
    if filters.sort == "recent" or filters.sort not in SORTS:
        residual = words[1:]
        if residual:
            projection["search_terms"] = 1
        docs = _newest(inbox_match(filters, terms=words[:1]), wanted=wanted, residual_terms=residual, projection=projection)
        chunk = docs[(page - 1) * per_page :]
    elif (read := SLICED_ORDERS.get(filters.sort)) and not words and not (filters.sort == "created" and (filters.date_from or filters.date_to)):
        # a date filter bounds creation time itself: newest created first then stays the server's read
        chunk = read(inbox_match(filters), wanted=wanted, projection=projection)[(page - 1) * per_page :]
    else:
        cursor = lead_collection().find(inbox_match(filters), projection).sort(SORTS[filters.sort])
        chunk = list(cursor.skip((page - 1) * per_page).limit(per_page + 1))
    rows = _rows(chunk[:per_page], usernames=usernames)
    return InboxPage(rows=rows, number=page, has_next=len(chunk) > per_page)


def _rows(docs: list[dict], *, usernames: dict | None = None) -> list[LeadRow]:
    users = dict(usernames or {})
    unknown = {d["assignee_id"] for d in docs if d.get("assignee_id")} - users.keys()
    if unknown:
        users.update((u.pk, u.get_username()) for u in get_user_model().objects.filter(pk__in=unknown))
    return [
        LeadRow(str(d["_id"]), *(read(d.get(column), users) for _, column, read in _ROW_READERS))
        for d in docs
    ]


def inbox_status_counts(*, filters: InboxFilters) -> dict[str, int]:
    """Leads per status under the current filters, whatever status or spam filter is selected: the
    maintained counts when nothing else narrows the inbox, else a pass over the matching leads."""
    counts = dict.fromkeys(LeadStatus.values, 0)
    match = inbox_match(filters, with_status=False)
    if not match:
        found = lead_status_counts()
    else:
        rows = lead_collection().aggregate([{"$match": match}, {"$group": {"_id": "$status", "n": {"$sum": 1}}}])
        found = {row["_id"]: row["n"] for row in rows}
    counts.update((status, n) for status, n in found.items() if status in counts)
    return counts


def inbox_export_rows(*, filters: InboxFilters):
    """Every lead of the filtered inbox, streamed from the database in batches."""
    cursor = lead_collection().find(inbox_match(filters), INBOX_PROJECTION).sort(SORTS.get(filters.sort, SORTS["recent"]))
    batch: list[dict] = []
    for doc in cursor.batch_size(500):
        batch.append(doc)
        if len(batch) == 500:
            yield from _rows(batch)
            batch = []
    yield from _rows(batch)
