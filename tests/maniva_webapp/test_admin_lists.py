"""The admin's lists of messages and leads at the size users reach (issue 15): unfiltered and in
their default order, a page is read in windows of the date through its index and counted by the
collection's estimate (contact.admin.NewestFirstPaginator); the embedded server would sort every
document for each page (23 s for the messages' list at 100,000). Filtered by the list filters, the
same windows with the filter checked on the documents read; searched or re-sorted, Django's own."""
import re
from datetime import timedelta

import pytest
from django.core.paginator import Paginator
from django.urls import reverse
from django.utils import timezone

from contact.admin import LeadAdmin, MessageAdmin
from contact.models import Lead, Message
from tests.factories import make_message, make_user
from tests.helpers import ThreadCommands, site_client_listening

pytestmark = pytest.mark.django_db

AGES = [timedelta(minutes=5), timedelta(minutes=50), timedelta(hours=3), timedelta(hours=30), timedelta(days=9),
        timedelta(days=200), timedelta(days=900), timedelta(days=1500)]


@pytest.fixture
def messages() -> list[Message]:
    at = timezone.now().replace(microsecond=0) - timedelta(hours=3)
    made = [make_message(email=f"m{n}@example.com", subject=f"Message {n}", ago=age) for n, age in enumerate(AGES)]
    # two more at one instant: the order falls back to the id, newest id first
    made += [make_message(email=f"tie{n}@example.com", subject=f"Tie {n}", received_at=at) for n in range(2)]
    return made


@pytest.fixture
def superuser_client(client, db):
    client.force_login(make_user("root", superuser=True))
    return client


def default_order() -> list:
    return list(Message.objects.order_by("-received_at", "-pk"))


def test_every_page_is_the_page_django_sorts(messages):
    paginator = MessageAdmin.paginator(Message.objects.order_by("-received_at", "-pk"), 3)
    plain = Paginator(default_order(), 3)
    assert paginator.count == plain.count == 10 and paginator.num_pages == 4
    for number in plain.page_range:
        assert [m.pk for m in paginator.page(number)] == [m.pk for m in plain.page(number)], number


def test_the_list_pages_read_windows_of_the_date_through_its_index(superuser_client, messages, monkeypatch):
    monkeypatch.setattr(MessageAdmin, "list_per_page", 4)  # a list of one page is read whole, without the paginator
    newest_first = [m.subject for m in default_order()]
    for number, (first, last) in {2: (4, 8), 3: (8, 10)}.items():
        with site_client_listening(ThreadCommands()) as listener:
            listener.arm()
            page = superuser_client.get(reverse("admin:contact_message_changelist") + f"?p={number}").content.decode()
            sent = listener.disarm()
        assert re.findall(r">(Message \d|Tie \d)<", page) == newest_first[first:last]
        windows = [c["filter"] for name, c in sent if name == "find" and c["find"] == "contact_message"]
        assert all(list(window) == ["received_at"] for window in windows)
        assert list(windows[0]["received_at"]) == ["$gte"] and all(sorted(w["received_at"]) == ["$gte", "$lt"] for w in windows[1:-1])
        # page 2 is found within 2 years; page 3 needs the oldest, in the last window, unbounded below
        assert sorted(windows[-1]["received_at"]) == (["$gte", "$lt"] if number == 2 else ["$lt"])
        sorted_reads = [c for name, c in sent if name == "aggregate" and c["aggregate"] == "contact_message" and "$sort" in repr(c["pipeline"])]
        assert sorted_reads == []


@pytest.mark.parametrize("lookups", [{"kind": "consultation"}, {"is_spam": True}, {"kind": "contact", "is_spam": False}],
                         ids=["kind", "spam", "kind and not spam"])
def test_every_page_of_a_filtered_list_is_the_page_django_sorts(messages, lookups):
    Message.objects.filter(subject__in=["Message 2", "Message 6", "Tie 1"]).update(kind="consultation")
    Message.objects.filter(subject__in=["Message 3", "Message 6", "Tie 0"]).update(is_spam=True)
    filtered = Message.objects.filter(**lookups).order_by("-received_at", "-pk")
    paginator = MessageAdmin.paginator(filtered, 2)
    plain = Paginator(list(filtered), 2)
    assert paginator.count == plain.count > 0
    for number in plain.page_range:
        assert [m.pk for m in paginator.page(number)] == [m.pk for m in plain.page(number)], number


def test_a_filtered_list_reads_windows_of_the_date_and_checks_the_filter_on_them(superuser_client, messages, monkeypatch):
    monkeypatch.setattr(MessageAdmin, "list_per_page", 2)
    Message.objects.filter(subject__in=["Message 2", "Message 6", "Message 7"]).update(kind="consultation")
    with site_client_listening(ThreadCommands()) as listener:
        listener.arm()
        page = superuser_client.get(reverse("admin:contact_message_changelist") + "?kind__exact=consultation&p=2").content.decode()
        sent = listener.disarm()
    assert re.findall(r">(Message \d|Tie \d)<", page) == ["Message 7"]
    finds = [c["filter"] for name, c in sent if name == "find" and c["find"] == "contact_message"]
    assert finds and all(list(f) == ["received_at"] for f in finds)
    # then Django's count of the filter, and the page's rows by _id alone: beside the filter the server would scan
    count, rows = [c["pipeline"] for name, c in sent if name == "aggregate" and c["aggregate"] == "contact_message"]
    assert count[0] == {"$match": {"kind": "consultation"}} and list(rows[0]["$match"]) == ["_id"] and len(rows) == 1


def test_a_searched_or_resorted_list_is_djangos_own(superuser_client, messages):
    page = superuser_client.get(reverse("admin:contact_message_changelist") + "?q=Message+6").content.decode()
    assert re.findall(r">(Message \d|Tie \d)<", page) == ["Message 6"]
    page = superuser_client.get(reverse("admin:contact_message_changelist") + "?o=-4").content.decode()  # by subject
    assert re.findall(r">(Message \d|Tie \d)<", page) == sorted((m.subject for m in messages), reverse=True)


def test_the_leads_list_is_read_in_windows_of_activity(superuser_client, messages, monkeypatch):
    monkeypatch.setattr(LeadAdmin, "list_per_page", 4)
    lead = Lead.objects.get(email="m0@example.com")
    lead.assignee = make_user("sam")
    lead.save(update_fields=["assignee"])
    with site_client_listening(ThreadCommands()) as listener:
        listener.arm()
        page = superuser_client.get(reverse("admin:contact_lead_changelist")).content.decode()
        sent = listener.disarm()
    assert re.findall(r'class="field-email">([^<]+)<', page) == [lead.email for lead in Lead.objects.order_by("-last_activity_at", "-pk")[:4]]
    assert page.count('class="field-assignee nowrap">sam<') == 1
    windows = [c["filter"] for name, c in sent if name == "find" and c["find"] == "contact_lead"]
    assert windows and all(list(window) == ["last_activity_at"] for window in windows)
