"""Merging duplicate leads: everything moves to the lead kept, a crashed merge completes when run
again, GDPR export and erasure see one person, only Managers merge, by a confirmed POST."""
import json

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from contact.leads import lead_merge_begin, messages_move
from contact.models import Lead, Message, OutboxJob
from contact.ratelimit import COLLECTION
from contact.selectors import lead_duplicates
from contact.services import MergeRefused, inbound_mail_receive, leads_merge
from maniva_crm import selectors, services
from maniva_crm.models import AuditAction, AuditEntry, Note
from tests.factories import make_message

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(sales):
    """Ana twice: her work address (kept) and her plus-address (merged), each with messages, a note, tags,
    a timeline and outbox jobs."""
    kept = make_message(name="Ana Souza", email="ana@padaria.pt", subject="Website for the bakery").lead
    gone = make_message(name="Ana Souza", email="Ana+orders@padaria.pt", subject="Online orders", message="Loyalty cards too").lead
    make_message(name="Ana Souza", email="Ana+orders@padaria.pt", subject="Any news?")
    services.lead_note_add(lead=gone, body="Called her back", actor=sales)
    services.lead_tags_set(lead=gone, tags=["bakery", "porto"], actor=sales)
    services.lead_tags_set(lead=kept, tags=["vip"], actor=sales)
    services.lead_reply(lead=gone, subject="Re: Online orders", body="Hello Ana", actor=sales)
    return Lead.objects.get(pk=kept.pk), Lead.objects.get(pk=gone.pk)


def assert_merged(kept: Lead, gone_id) -> None:
    kept = Lead.objects.get(pk=kept.pk)
    assert not Lead.objects.filter(pk=gone_id).exists()
    assert Message.objects.filter(lead_id=gone_id).count() == 0
    assert Message.objects.filter(lead_id=kept.pk).count() == 4  # 3 from her, 1 reply
    assert kept.message_count == 3 and kept.last_subject == "Any news?"
    assert Note.objects.get(lead_id=kept.pk).body == "Called her back" and not Note.objects.filter(lead_id=gone_id).exists()
    assert sorted(kept.tags) == ["bakery", "porto", "vip"]
    assert kept.aliases == ["Ana+orders@padaria.pt"] and kept.merged_ids == [str(gone_id)]
    assert kept.mailbox_keys == ["ana@padaria.pt"]
    assert OutboxJob.objects.filter(lead_id=gone_id).count() == 0 and OutboxJob.objects.filter(lead_id=kept.pk, kind="email").exists()
    assert not AuditEntry.objects.filter(lead_id=gone_id).exists()
    actions = list(AuditEntry.objects.filter(lead_id=kept.pk).values_list("action", flat=True))
    assert actions.count(AuditAction.MERGE) == 1 and AuditAction.REPLY in actions and AuditAction.NOTE in actions
    assert {"loyalty", "souza", "orders"} <= set(kept.search_terms)  # the search index follows


def test_merge_moves_everything_to_the_lead_kept(pair, manager):
    kept, gone = pair
    assert [d.lead.pk for d in lead_duplicates(lead=kept)] == [gone.pk]
    services.lead_merge(survivor=kept, merged_id=str(gone.pk), actor=manager)
    assert_merged(kept, gone.pk)
    entry = AuditEntry.objects.get(action=AuditAction.MERGE)
    assert entry.actor == manager and entry.data["merged_email"] == "Ana+orders@padaria.pt" and entry.data["messages"] == 3
    inbox = selectors.inbox_page(filters=selectors.InboxFilters(q="loyalty"))
    assert [row.id for row in inbox.rows] == [str(kept.pk)]
    assert lead_duplicates(lead=Lead.objects.get(pk=kept.pk)) == []


def test_a_merge_that_crashed_halfway_completes_when_run_again(pair, manager):
    kept, gone = pair
    lead_merge_begin(survivor=kept, merged=gone)  # a crash after the first two steps
    messages_move(from_lead_id=gone.pk, to_lead_id=kept.pk)
    assert Lead.objects.get(pk=gone.pk).merged_into == str(kept.pk)
    services.lead_merge(survivor=Lead.objects.get(pk=kept.pk), merged_id=str(gone.pk), actor=manager)
    assert_merged(kept, gone.pk)
    services.lead_merge(survivor=Lead.objects.get(pk=kept.pk), merged_id=str(gone.pk), actor=manager)  # and again: nothing changes
    assert_merged(kept, gone.pk)


def test_a_merge_is_refused_for_unknown_or_same_leads_or_a_lead_going_elsewhere(pair):
    kept, gone = pair
    third = make_message(email="third@example.com").lead
    with pytest.raises(MergeRefused):
        leads_merge(survivor_id=kept.pk, merged_id=kept.pk)
    with pytest.raises(MergeRefused):
        leads_merge(survivor_id=kept.pk, merged_id="0" * 24)
    with pytest.raises(MergeRefused):
        leads_merge(survivor_id=kept.pk, merged_id="not-an-id")
    lead_merge_begin(survivor=third, merged=gone)
    with pytest.raises(MergeRefused):
        leads_merge(survivor_id=kept.pk, merged_id=gone.pk)
    assert Lead.objects.filter(pk=gone.pk).exists() and Message.objects.filter(lead_id=gone.pk).count() == 3


def test_after_a_merge_mail_from_the_old_address_joins_the_lead_kept(pair, manager):
    kept, gone = pair
    services.lead_merge(survivor=kept, merged_id=str(gone.pk), actor=manager)
    result = inbound_mail_receive(raw=b"From: Ana+orders@padaria.pt\r\nTo: hello@maniva.test\r\nSubject: hi\r\nMessage-ID: <x1@padaria.pt>\r\n\r\nHello again",
                                  via="pipe")
    assert result.message.lead_id == kept.pk and Lead.objects.count() == 1


def test_gdpr_export_and_erasure_after_a_merge_see_one_person(pair, manager, manager_client):
    kept, gone = pair
    services.lead_merge(survivor=kept, merged_id=str(gone.pk), actor=manager)
    response = manager_client.get(reverse("crm:lead_export", args=[kept.pk]))
    data = json.loads(response.content)
    assert data["lead"]["aliases"] == ["Ana+orders@padaria.pt"]
    assert sorted(m["subject"] for m in data["messages"]) == ["Any news?", "Online orders", "Re: Online orders", "Website for the bakery"]
    assert [n["body"] for n in data["notes"]] == ["Called her back"]
    assert AuditAction.MERGE in [e["action"] for e in data["timeline"]]

    connection.get_collection(COLLECTION).insert_one({"_id": "email:Ana+orders@padaria.pt:1", "count": 1})
    counts = services.person_erase(lead=Lead.objects.get(pk=kept.pk), actor=manager)
    assert counts["messages"] == 4 and counts["notes"] == 1 and counts["rate_limits"] == 1
    assert not Lead.objects.exists() and not Message.objects.exists() and not Note.objects.exists()
    assert not OutboxJob.objects.filter(lead__isnull=False).exists()


def test_only_managers_merge_and_only_by_a_confirmed_post(pair, sales_client, client, manager):
    kept, gone = pair
    url = reverse("crm:lead_merge", args=[kept.pk])
    page = sales_client.get(reverse("crm:lead", args=[kept.pk])).content.decode()
    assert "Possible duplicates" in page and "Ana+orders@padaria.pt" in page and "Merge into this lead" not in page
    assert sales_client.get(url, {"other": gone.pk}).status_code == 403
    assert sales_client.post(url, {"other": gone.pk}).status_code == 403
    assert Lead.objects.filter(pk=gone.pk).exists()

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(manager)
    assert strict.post(url, {"other": gone.pk}).status_code == 403  # no CSRF token
    client.force_login(manager)
    page = client.get(reverse("crm:lead", args=[kept.pk])).content.decode()
    assert f"{url}?other={gone.pk}" in page
    confirm = client.get(url, {"other": gone.pk})
    assert confirm.status_code == 200 and "Merge Ana+orders@padaria.pt into ana@padaria.pt" in confirm.content.decode()
    assert Lead.objects.filter(pk=gone.pk).exists()  # the confirmation page changes nothing
    assert client.get(url, {"other": "nonsense"}).status_code == 400
    assert client.get(url, {"other": "0" * 24}).status_code == 404
    assert client.post(url, {"other": kept.pk}).status_code == 400
    response = client.post(url, {"other": gone.pk})
    assert response.status_code == 302 and response["Location"] == kept.get_absolute_url()
    assert_merged(kept, gone.pk)
    old_link = client.get(reverse("crm:lead", args=[gone.pk]))
    assert old_link.status_code == 302 and old_link["Location"] == kept.get_absolute_url()
