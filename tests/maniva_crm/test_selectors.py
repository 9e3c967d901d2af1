from datetime import date, timedelta

import pytest
from django.utils import timezone

from contact.models import Lead, LeadStatus
from maniva_crm import selectors, services
from maniva_crm.selectors import InboxFilters, inbox_page
from tests.factories import make_message

pytestmark = pytest.mark.django_db


def ids(page) -> list[str]:
    return [row.id for row in page.rows]


def test_inbox_is_newest_activity_first_and_paginates():
    leads = [make_message(email=f"p{i}@example.com", name=f"Person {i}", ago=timedelta(days=i * 3)).lead for i in range(7)]
    old = make_message(email="old@example.com", name="Old Timer", ago=timedelta(days=900)).lead
    first = inbox_page(filters=InboxFilters(), page=1, per_page=3)
    assert ids(first) == [str(lead.pk) for lead in leads[:3]] and first.has_next and not first.has_previous
    last = inbox_page(filters=InboxFilters(), page=3, per_page=3)
    assert ids(last) == [str(leads[6].pk), str(old.pk)] and not last.has_next
    assert ids(inbox_page(filters=InboxFilters(sort="oldest"), per_page=1)) == [str(old.pk)]
    assert ids(inbox_page(filters=InboxFilters(sort="name"), per_page=1)) == [str(old.pk)]


def test_search_covers_name_email_company_subject_and_text_folded():
    ana = make_message(name="Ana Souza", email="ana@bakery.pt", company="Pão Quente", subject="Online ordering", message="Two shops in Lisboa").lead
    make_message(name="Bruno Costa", email="bruno@garage.test", subject="Garage website", message="We fix cars in Porto")
    for query in ("souza", "ANA", "ana@bakery.pt", "bakery", "pao quente", "ordering", "lisboa", "Ana Lisboa"):
        assert ids(inbox_page(filters=InboxFilters(q=query))) == [str(ana.pk)], query
    assert ids(inbox_page(filters=InboxFilters(q="ana porto"))) == []
    assert ids(inbox_page(filters=InboxFilters(q="zzz"))) == []


def test_later_messages_are_searchable_and_update_the_last_subject():
    lead = make_message(email="repeat@example.com", subject="First contact").lead
    make_message(email="repeat@example.com", subject="Follow-up about hosting", message="Kubernetes question", ago=timedelta(seconds=-5))
    row = inbox_page(filters=InboxFilters(q="kubernetes")).rows[0]
    assert row.id == str(lead.pk) and row.last_subject == "Follow-up about hosting" and row.message_count == 2


def test_filters(sales):
    a = make_message(email="a@example.com", country="PT", kind="consultation", ago=timedelta(days=40)).lead
    b = make_message(email="b@example.com", country="DE").lead
    spam = make_message(email="s@example.com", spam=True).lead
    services.lead_assign(lead=a, assignee=sales, actor=sales)
    services.lead_tags_set(lead=b, tags=["vip"], actor=sales)
    services.lead_status_set(lead=b, status="qualified", actor=sales)

    def found(**kwargs) -> set[str]:
        return set(ids(inbox_page(filters=InboxFilters(**kwargs))))

    assert found() == {str(a.pk), str(b.pk)}
    assert found(spam="only") == {str(spam.pk)} and len(found(spam="any")) == 3
    assert found(status="qualified") == {str(b.pk)} and found(status="spam") == {str(spam.pk)}
    assert found(assignee=str(sales.pk)) == {str(a.pk)} and found(assignee="none") == {str(b.pk)}
    assert found(tag="vip") == {str(b.pk)} and found(country="pt") == {str(a.pk)}
    assert found(kind="consultation") == {str(a.pk)}
    today = timezone.now().date()
    assert found(date_from=today - timedelta(days=1)) == {str(b.pk)}
    assert found(date_to=today - timedelta(days=30)) == {str(a.pk)}
    counts = selectors.inbox_status_counts(filters=InboxFilters())
    assert counts["new"] == 1 and counts["qualified"] == 1 and counts["spam"] == 1


def test_export_rows_follow_the_filters():
    make_message(email="x@example.com", name="Xavier")
    make_message(email="y@example.com", name="Yara", spam=True)
    assert [row.name for row in selectors.inbox_export_rows(filters=InboxFilters())] == ["Xavier"]


def test_timeline_merges_messages_notes_and_actions(sales):
    lead = make_message().lead
    services.lead_note_add(lead=lead, body="Call back", actor=sales)
    services.lead_status_set(lead=lead, status="contacted", actor=sales)
    timeline = selectors.lead_timeline(lead=lead)
    assert [item.kind for item in timeline] == ["status", "note", "message"]
    assert timeline[1].obj.body == "Call back" and timeline[0].actor == "sam"


def test_dashboard_stats_and_person_data(sales):
    lead = make_message(country="PT").lead
    make_message(email="b@example.com", country="DE", kind="consultation")
    services.lead_status_set(lead=lead, status="contacted", actor=sales)
    stats = selectors.dashboard_stats()
    assert stats["per_week"].total == 2 and stats["answered"] == 1
    assert {bar.label: bar.value for bar in stats["by_form"].bars} == {"Consultation": 1, "Contact": 1}
    assert {bar.label for bar in stats["by_country"].bars} == {"PT", "DE"}
    assert {bar.label: bar.value for bar in stats["by_status"].bars if bar.value} == {
        LeadStatus("new").label: 1, LeadStatus("contacted").label: 1}  # the maintained counts
    data = selectors.person_data(lead=Lead.objects.get(pk=lead.pk))
    assert data["lead"]["email"] == "ana@example.com" and len(data["messages"]) == 1 and "search_terms" not in data["lead"]
    assert data["timeline"][0]["action"] == "status"


def test_leads_with_equal_sort_keys_keep_one_order_on_every_page_and_in_the_export():
    at = timezone.now().replace(microsecond=0)
    leads = [make_message(email=f"tie{i}@example.com", name="Same Name").lead for i in range(4)]
    Lead.objects.filter(pk__in=[lead.pk for lead in leads]).update(last_activity_at=at, created_at=at)
    newest_first = [str(pk) for pk in sorted((lead.pk for lead in leads), reverse=True)]

    assert sum((ids(inbox_page(filters=InboxFilters(), page=n, per_page=1)) for n in (1, 2, 3, 4)), []) == newest_first
    assert [row.id for row in selectors.inbox_export_rows(filters=InboxFilters())] == newest_first
    for sort in ("created", "messages"):
        assert ids(inbox_page(filters=InboxFilters(sort=sort))) == newest_first, sort
    for sort in ("oldest", "name"):
        assert ids(inbox_page(filters=InboxFilters(sort=sort))) == newest_first[::-1], sort


def test_dashboard_countries_with_equal_counts_are_chosen_and_listed_alphabetically():
    countries = ["ZA", "YE", "XK", "WS", "VN", "UY", "TR", "SE", "RO", "QA", "PT", "NO", "MX"]
    for i, country in enumerate(countries):
        make_message(email=f"c{i}@example.com", country=country)
    assert [bar.label for bar in selectors.dashboard_stats()["by_country"].bars] == sorted(countries)[:12]


def test_timeline_and_messages_stored_in_one_millisecond_show_the_later_write_first(sales):
    from contact.models import Message
    from maniva_crm.models import AuditEntry

    lead = make_message(subject="First").lead
    make_message(subject="Second")
    services.lead_note_add(lead=lead, body="Call back", actor=sales)
    services.lead_status_set(lead=lead, status="contacted", actor=sales)
    at = timezone.now().replace(microsecond=0)
    Message.objects.filter(lead_id=lead.pk).update(received_at=at)
    AuditEntry.objects.filter(lead_id=lead.pk).update(created_at=at)

    assert [(item.kind, item.text) for item in selectors.lead_timeline(lead=lead)] == [
        ("status", "new → contacted"), ("note", ""), ("message", "Second"), ("message", "First")
    ]
    assert [message.subject for message in selectors.messages_of(lead_id=lead.pk)] == ["Second", "First"]
