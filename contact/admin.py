from datetime import timedelta

from django.contrib import admin
from django.core.paginator import Page, Paginator
from django.db import connections, models
from django.db.models.expressions import Col
from django.db.models.lookups import Exact
from django.db.models.sql.where import AND, WhereNode
from django.utils import timezone
from django.utils.functional import cached_property

from contact.models import Lead, Message, OutboxJob, PushSubscription

FIRST_WINDOW = timedelta(hours=1)
HISTORY = timedelta(days=3 * 365)  # past this, a window bounds nothing worth bounding


PLAIN_FIELDS = (models.CharField, models.BooleanField, models.IntegerField)  # one value each, no array


def _equal(stored: object, wanted: str | bool | int) -> bool:
    """MongoDB's equality for these values: a boolean never equals a number."""
    return stored == wanted and isinstance(stored, bool) == isinstance(wanted, bool)


class NewestFirstPaginator(Paginator):
    """Pages of a list that grows with the site, newest first by `date_field` (indexed).

    On the embedded server a sorted read fetches and sorts every document it matches (the messages'
    list took 23 s at 100,000; tests/dbcompat), and a count is a pass too. So, when the list is not
    filtered and keeps its default order, a page's ids are read in windows of `date_field` going
    back in time, each 4× wider, the last one unbounded (pymongo: the ORM writes a window as an
    `$and` the server would scan), then its rows by id; and the count is the collection's estimate
    (kept by the server; exact after a clean shutdown). Filtered by the admin's list filters (exact
    values of plain fields), the windows are read the same way and the filter is checked on the
    documents read: a window with the filter beside it would be a scan (tests/dbcompat); the count
    is then Django's. Searched or sorted otherwise: Django's own."""

    date_field = ""

    def _newest_first(self) -> bool:
        return self._equalities is not None and tuple(self.object_list.query.order_by) == (f"-{self.date_field}", "-pk")

    @cached_property
    def _equalities(self) -> dict | None:
        """The list's filter as {column: value} when it is only exact values of plain fields, all of
        them required (what the admin's list filters write), else None."""
        where = self.object_list.query.where
        if where.negated or where.connector != AND:
            return None
        equalities = {}
        for lookup in where.children:
            if not (isinstance(lookup, Exact) and isinstance(lookup.lhs, Col) and isinstance(lookup.lhs.target, PLAIN_FIELDS)
                    and isinstance(lookup.rhs, str | bool | int)):
                return None
            equalities[lookup.lhs.target.column] = lookup.rhs
        return equalities

    def _collection(self):
        return connections[self.object_list.db].get_collection(self.object_list.model._meta.db_table)

    @cached_property
    def count(self) -> int:
        if not self.object_list.query.where:
            return self._collection().estimated_document_count()
        return super().count

    def page(self, number) -> Page:
        number = self.validate_number(number)
        if not self._newest_first():
            return super().page(number)
        bottom = (number - 1) * self.per_page
        ids = self._newest_ids(wanted=bottom + self.per_page)[bottom:]
        by_id = self.object_list.order_by()
        by_id.query.where = WhereNode()  # the ids meet the filter already; beside them it would be a scan
        rows = {row.pk: row for row in by_id.filter(pk__in=ids)}
        return self._get_page([rows[pk] for pk in ids if pk in rows], number, self)

    def _newest_ids(self, *, wanted: int) -> list:
        column = self.object_list.model._meta.get_field(self.date_field).column
        now, ids, span, newer = timezone.now(), [], FIRST_WINDOW, None
        equalities = self._equalities
        while len(ids) < wanted:
            bounds = {} if span is None else {"$gte": now - span}
            if newer is not None:
                bounds["$lt"] = newer
            cursor = self._collection().find({column: bounds}, {"_id": 1, **dict.fromkeys(equalities, 1)}).sort([(column, -1), ("_id", -1)])
            if not equalities:
                cursor = cursor.limit(wanted - len(ids))
            ids.extend(doc["_id"] for doc in cursor if all(_equal(doc.get(c), value) for c, value in equalities.items()))
            if span is None:
                break
            newer, span = now - span, (span * 4 if span * 4 < HISTORY else None)
        return ids[:wanted]


class LargeListAdmin(admin.ModelAdmin):
    """A list that grows with the site: it is counted once, not a second time for "N total"
    (each count is a pass over the collection on the embedded server)."""

    show_full_result_count = False


class NewestMessagesPaginator(NewestFirstPaginator):
    date_field = "received_at"


class RecentLeadsPaginator(NewestFirstPaginator):
    date_field = "last_activity_at"


@admin.register(Message)
class MessageAdmin(LargeListAdmin):
    paginator = NewestMessagesPaginator
    list_display = ["received_at", "name", "email", "subject", "kind", "country", "is_spam"]
    list_filter = ["kind", "is_spam"]
    search_fields = ["name", "email", "subject"]
    readonly_fields = ["received_at", "ip", "user_agent", "referrer", "page", "locale", "utm", "spam_reasons", "idempotency_key"]
    exclude = ["search_terms"]


@admin.register(Lead)
class LeadAdmin(LargeListAdmin):
    paginator = RecentLeadsPaginator
    list_display = ["last_activity_at", "name", "email", "company", "status", "message_count", "assignee"]
    list_filter = ["status", "is_spam"]
    search_fields = ["name", "email", "company"]
    exclude = ["search_terms"]


@admin.register(OutboxJob)
class OutboxJobAdmin(LargeListAdmin):
    list_display = ["created_at", "kind", "status", "attempts", "run_after", "last_error"]
    list_filter = ["status", "kind"]


admin.site.register(PushSubscription)
