"""What the inbox asks the database (issue 15), seen by a pymongo CommandListener on the site's own
client against the suite's server. The embedded server reads every match of a find before it
applies the limit, so a find without a narrow filter costs a pass over the leads."""
from dataclasses import replace
from datetime import timedelta

import pytest

from django.utils import timezone

from contact.leads import lead_collection
from contact.search import query_terms
from maniva_crm.selectors import inbox
from maniva_crm.selectors.inbox import SLICE_INDEXES, SORTS, InboxFilters, inbox_match, inbox_page
from tests.factories import make_message
from tests.helpers import ThreadCommands, site_client_listening

pytestmark = pytest.mark.django_db


class Finds(ThreadCommands):
    """The filters of the finds on the leads this thread sends while armed."""

    def disarm(self) -> list[dict]:
        return [command.get("filter", {}) for name, command in super().disarm() if name == "find" and command["find"] == "contact_lead"]


@pytest.fixture
def finds():
    inbox._common_words.clear()
    try:
        with site_client_listening(Finds()) as listener:
            yield listener
    finally:
        inbox._common_words.clear()


def _ids(page) -> list[str]:
    return [row.id for row in page.rows]


def _newest_ids(filters: InboxFilters, n: int) -> list[str]:
    return [str(d["_id"]) for d in lead_collection().find(inbox_match(filters), {"_id": 1}).sort(SORTS["recent"]).limit(n)]


def _pages_are_the_servers(finds, filters: InboxFilters, *, slices: list[set[str]], pages: int, per_page: int) -> None:
    """Each page is the server's own answer to the whole filter and sort (a next page too), and each
    find's filter names the columns of one of the order's `slices` and nothing else."""
    for number in range(1, pages + 1):
        finds.arm()
        page = inbox_page(filters=filters, page=number, per_page=per_page)
        sent = finds.disarm()
        assert sent and all(set(f) in slices for f in sent), sent
        cursor = lead_collection().find(inbox_match(filters), {"_id": 1}).sort(SORTS[filters.sort])
        expected = [str(d["_id"]) for d in cursor.skip((number - 1) * per_page).limit(per_page + 1)]
        assert _ids(page) == expected[:per_page] and page.has_next == (len(expected) > per_page), number


@pytest.fixture
def sixty_leads() -> None:
    """One lead an hour for the last 60 hours, half of them about websites."""
    for hour in range(60):
        make_message(email=f"h{hour}@example.com", name=f"Person H{hour}", ago=timedelta(hours=hour, minutes=5),
                     subject="A website" if hour % 2 else "Hosting", message="Hello")


def test_the_whole_inbox_and_a_status_are_read_in_slices_of_recent_activity_only(finds, sixty_leads):
    """Each find is bounded by last_activity_at: none reads every lead (an unbounded probe did)."""
    for filters in (InboxFilters(), InboxFilters(status="new")):
        finds.arm()
        page = inbox_page(filters=filters, per_page=20)
        sent = finds.disarm()
        assert sent and all("last_activity_at" in f for f in sent), sent
        assert _ids(page) == _newest_ids(filters, 20) and page.has_next


def test_a_rare_word_is_one_read_and_a_common_one_goes_to_the_slices_once_seen(finds, sixty_leads):
    make_message(email="rare@example.com", name="Zoltan Quixby", ago=timedelta(days=400))
    finds.arm()
    assert [row.name for row in inbox_page(filters=InboxFilters(q="quixby")).rows] == ["Zoltan Quixby"]
    sent = finds.disarm()
    assert len(sent) == 1 and "last_activity_at" not in sent[0]

    common = InboxFilters(q="website")
    finds.arm()
    first = inbox_page(filters=common, per_page=10)
    sent = finds.disarm()
    assert "last_activity_at" not in sent[0] and len(sent) > 1  # read all 30 matches, then the slices
    finds.arm()
    again = inbox_page(filters=common, per_page=10)
    sent = finds.disarm()
    assert sent and all("last_activity_at" in f for f in sent), sent
    assert _ids(again) == _ids(first) == _newest_ids(common, 10)



@pytest.fixture
def varied_leads(sixty_leads, sales) -> None:
    """The sixty leads with assignees, tags, countries, intents, spam and replies awaited spread
    over them, written straight to the documents (only reads are tested here)."""
    leads = lead_collection()
    for n, doc in enumerate(leads.find({}, {"_id": 1}).sort("_id", 1)):
        leads.update_one({"_id": doc["_id"]}, {"$set": {
            "assignee_id": sales.pk if n % 3 == 0 else None,
            "tags": ["vip", "retainer"] if n % 4 == 0 else (["vip"] if n % 4 == 1 else []),
            "country": "PT" if n % 2 else "BR",
            "intent": "seo" if n % 5 == 0 else "",
            "is_spam": n % 7 == 0,
            "status": "spam" if n % 7 == 0 else ("qualified" if n % 6 == 1 else "new"),
            "awaiting_reply": n % 8 == 0,
            "needs_review": n % 9 == 0,
        }})


@pytest.mark.parametrize("filters", [
    {"assignee": "none"}, {"assignee": "sales"}, {"tag": "vip"}, {"tag": "retainer", "spam": "any"}, {"country": "PT", "intent": "seo"},
    {"awaiting": "1"}, {"spam": "review"}, {"spam": "only", "tag": "vip"}, {"status": "qualified", "assignee": "none"},
    {"q": "website", "assignee": "none"}, {"q": "website", "tag": "vip", "spam": "any"}, {"q": "person website", "country": "PT"},
    {"country": "BR", "date_from": "yesterday"}, {"q": "website", "status": "new"}, {"q": "website", "spam": "any", "country": "PT"},
], ids=repr)
def test_filters_beyond_one_index_give_the_servers_answer_through_an_index(finds, varied_leads, sales, filters):
    """Each find names the columns of one index (SLICE_INDEXES) or is the whole filter where none
    serves; the rest is checked on the documents read, and the page is what the server answers to
    the whole filter."""
    values = {**filters, "assignee": str(sales.pk) if filters.get("assignee") == "sales" else filters.get("assignee", "")}
    if values.get("date_from") == "yesterday":
        values["date_from"] = (timezone.now() - timedelta(days=1)).date()
    chosen = InboxFilters(**values)
    finds.arm()
    page = inbox_page(filters=chosen, per_page=8)
    sent = finds.disarm()
    assert _ids(page) == _newest_ids(chosen, 8) and _ids(page)
    whole = set(inbox_match(chosen, terms=query_terms(chosen.q)[:1]))
    served = [set(f) - {"last_activity_at"} for f in sent]
    assert all(columns in map(set, SLICE_INDEXES) or columns == whole for columns in served), sent


@pytest.fixture
def created_and_active() -> None:
    """A lead created each hour for 40 hours; every third wrote again in the last hour (so newest
    created and newest active differ), every fifth is spam, every fourth writes from Germany."""
    for hour in range(40):
        make_message(email=f"c{hour}@example.com", name=f"Person C{hour}", ago=timedelta(hours=hour, minutes=5),
                     spam=hour % 5 == 0, country="DE" if hour % 4 == 0 else "PT")
    for hour in range(0, 40, 3):
        make_message(email=f"c{hour}@example.com", name=f"Person C{hour}", ago=timedelta(minutes=hour), spam=hour % 5 == 0,
                     country="DE" if hour % 4 == 0 else "PT")


@pytest.mark.parametrize("filters", [
    InboxFilters(sort="created"), InboxFilters(sort="created", status="new"), InboxFilters(sort="created", spam="only"),
    InboxFilters(sort="created", spam="any"), InboxFilters(sort="created", assignee="none"), InboxFilters(sort="created", country="DE"),
], ids=["inbox", "status", "spam only", "spam too", "unassigned", "country"])
def test_newest_created_first_is_read_in_slices_of_creation_time(finds, created_and_active, filters):
    """The server would read and sort every matching lead; each find names only a creation-time
    slice, the other conditions are checked on the leads read, and every page is the server's own
    answer to the whole filter and sort."""
    _pages_are_the_servers(finds, filters, slices=[{"created_at"}], pages=3, per_page=6)
    assert _ids(inbox_page(filters=filters, per_page=6)) != _ids(inbox_page(filters=replace(filters, sort="recent"), per_page=6))


def test_newest_created_first_with_a_word_or_dates_is_the_servers_sort(finds, created_and_active):
    for filters in (InboxFilters(sort="created", q="person"), InboxFilters(sort="created", date_from=timezone.localdate() - timedelta(days=1))):
        finds.arm()
        page = inbox_page(filters=filters, per_page=6)
        sent = finds.disarm()
        assert len(sent) == 1
        expected = lead_collection().find(inbox_match(filters), {"_id": 1}).sort(SORTS["created"]).limit(6)
        assert _ids(page) == [str(d["_id"]) for d in expected]


NAMES = ["Ana Souza", "ana lima", "Álvaro Reis", "Zé Pinto", "zoe Hart", "1st Choice Ltd", "Bruno Dias", "Bruna Dias",
         "Carla Nunes", "[Test] Corp", "Øyvind Berg", "Ana Souza", "Mia Lopes", "maria Gomes", "Zara Ali", "Yuri Sá"]


@pytest.fixture
def named_leads() -> None:
    """Sixteen leads named across the slices (digits, capitals, small letters, accents, one name
    twice), every third spam, every fourth unassigned from Germany."""
    for n, name in enumerate(NAMES):
        make_message(email=f"n{n}@example.com", name=name, ago=timedelta(hours=n), spam=n % 3 == 0,
                     country="DE" if n % 4 == 0 else "PT")


@pytest.mark.parametrize("filters", [
    InboxFilters(sort="name"), InboxFilters(sort="name", status="new"), InboxFilters(sort="name", spam="only"),
    InboxFilters(sort="name", spam="any"), InboxFilters(sort="name", country="DE"),
    InboxFilters(sort="name", date_from=timezone.localdate() - timedelta(days=1)),
], ids=["inbox", "status", "spam only", "spam too", "country", "dates"])
def test_by_name_is_read_in_slices_of_initials(finds, named_leads, filters):
    """The server would read and sort every matching lead; each find names only a range of names,
    the other conditions are checked on the leads read, and every page is the server's own answer
    to the whole filter and sort."""
    _pages_are_the_servers(finds, filters, slices=[{"name"}], pages=4, per_page=3)


def test_by_name_stops_at_the_slice_that_fills_the_page(finds, named_leads):
    finds.arm()
    page = inbox_page(filters=InboxFilters(sort="name", spam="any"), per_page=2)
    sent = finds.disarm()
    assert [row.name for row in page.rows] == ["1st Choice Ltd", "Ana Souza"]
    assert [f["name"] for f in sent] == [{"$lt": "A"}, {"$gte": "A", "$lt": "B"}]


def test_by_name_with_a_word_is_the_servers_sort(finds, named_leads):
    finds.arm()
    page = inbox_page(filters=InboxFilters(sort="name", q="dias", spam="any"), per_page=6)
    sent = finds.disarm()
    assert len(sent) == 1 and "search_terms" in sent[0]
    assert [row.name for row in page.rows] == ["Bruna Dias", "Bruno Dias"]


@pytest.fixture
def counted_leads() -> None:
    """Leads with 1 to 4 messages and two with many (9 and 17, in the ranges of many), their last
    messages an hour apart (two leads share a count and an hour, so _id decides), every third spam,
    every fourth from Germany."""
    counts = [1, 2, 3, 1, 4, 2, 9, 1, 3, 17, 2, 1, 1, 2]
    for n, count in enumerate(counts):
        for m in range(count):
            make_message(email=f"m{n}@example.com", name=f"Person M{n}", ago=timedelta(hours=n // 2, minutes=count - m),
                         spam=n % 3 == 0, country="DE" if n % 4 == 0 else "PT")


@pytest.mark.parametrize("filters", [
    InboxFilters(sort="messages"), InboxFilters(sort="messages", status="new"), InboxFilters(sort="messages", spam="only"),
    InboxFilters(sort="messages", spam="any"), InboxFilters(sort="messages", country="DE"), InboxFilters(sort="messages", assignee="none"),
], ids=["inbox", "status", "spam only", "spam too", "country", "unassigned"])
def test_by_message_count_is_read_in_slices_of_counts(finds, counted_leads, filters):
    """Each find names a range of many messages, or one smaller count with a slice of activity;
    every page is the server's own answer to the whole filter and sort."""
    _pages_are_the_servers(finds, filters, slices=[{"message_count"}, {"message_count", "last_activity_at"}], pages=4, per_page=3)


def test_by_message_count_reads_the_many_first_and_stops_when_full(finds, counted_leads):
    finds.arm()
    page = inbox_page(filters=InboxFilters(sort="messages", spam="any"), per_page=2)
    sent = finds.disarm()
    assert [row.message_count for row in page.rows] == [17, 9] and page.has_next
    ranges = [f["message_count"] for f in sent if list(f) == ["message_count"]]
    assert ranges == [{"$gte": 256}, {"$gte": 128, "$lt": 256}, {"$gte": 64, "$lt": 128}, {"$gte": 32, "$lt": 64},
                      {"$gte": 16, "$lt": 32}, {"$gte": 8, "$lt": 16}]
    # the page's one more lead (it tells whether a next page exists) has 4: nothing below is read
    assert sent[len(ranges):] and all(f["message_count"] in range(4, 8) for f in sent[len(ranges):])
    assert sent[-1]["message_count"] == 4


def test_by_message_count_lists_a_lead_without_a_count_last_as_the_server_does(finds, counted_leads):
    uncounted = lead_collection().find_one({"email": "m1@example.com"})["_id"]
    lead_collection().update_one({"_id": uncounted}, {"$unset": {"message_count": ""}})
    filters = InboxFilters(sort="messages", spam="any")
    _pages_are_the_servers(finds, filters, slices=[{"message_count"}, {"message_count", "last_activity_at"}], pages=5, per_page=3)
    assert inbox_page(filters=filters, page=5, per_page=3).rows[-1].id == str(uncounted)


def test_every_slice_has_an_index_that_leads_with_its_columns_and_holds_the_activity():
    """A slice without its index would read every lead, and still give the right page."""
    keys = [tuple(field for field, _ in spec["key"]) for spec in lead_collection().index_information().values()]
    for columns in SLICE_INDEXES:
        assert any(key[:len(columns)] == columns and "last_activity_at" in key for key in keys), columns
