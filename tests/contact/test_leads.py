from contact.models import Lead, Message
from tests.factories import form_data


def test_returning_visitor_joins_their_lead(client, db):
    client.post("/contact/", form_data(email="Ana@Example.com", subject="First"))
    client.post("/contact/", form_data(email=" Ana@EXAMPLE.COM ", subject="Second", company="Padaria Ana"))

    lead = Lead.objects.get()
    assert lead.email == "Ana@example.com"
    assert lead.message_count == 2 and lead.company == "Padaria Ana"
    assert sorted(m.subject for m in lead.messages.all()) == ["First", "Second"]


def test_unicode_names_are_welcome(client, db):
    client.post("/contact/", form_data(name="Zoë Ørsted-Nguyễn 王小明"))
    assert Message.objects.get().name == "Zoë Ørsted-Nguyễn 王小明"


def test_metadata_is_recorded(client, db):
    client.post(
        "/contact/?utm_source=newsletter",
        {**form_data(), "utm_source": "newsletter", "utm_campaign": "autumn", "page": "/#contact"},
        REMOTE_ADDR="81.2.69.160",
        HTTP_USER_AGENT="Mozilla/5.0 Test",
        HTTP_REFERER="https://search.example/?q=agency",
        HTTP_ACCEPT_LANGUAGE="pt-BR,pt;q=0.9",
    )
    message = Message.objects.get()
    assert message.ip == "81.2.69.160" and message.country == "GB"
    assert message.user_agent == "Mozilla/5.0 Test"
    assert message.referrer == "https://search.example/?q=agency"
    assert message.locale == "pt-BR" and message.page == "/#contact"
    assert message.utm == {"utm_source": "newsletter", "utm_campaign": "autumn"}
    assert {"ana", "example.com", "bakery", "ordering"} <= set(message.search_terms)


def test_private_address_gives_no_country(client, db):
    client.post("/contact/", form_data(), REMOTE_ADDR="10.1.2.3")
    assert Message.objects.get().country == ""


def test_forwarded_for_is_trusted_only_from_named_proxies(client, db, settings):
    client.post("/contact/", form_data(email="a@example.com"), REMOTE_ADDR="8.8.8.8", HTTP_X_FORWARDED_FOR="81.2.69.160")
    settings.TRUSTED_PROXIES = ["10.0.0.5"]
    client.post("/contact/", form_data(email="b@example.com"), REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="1.2.3.4, 81.2.69.160")

    assert Message.objects.get(email="a@example.com").ip == "8.8.8.8"
    assert Message.objects.get(email="b@example.com").ip == "81.2.69.160"


def test_consultation_booking_is_stored_with_its_slot(client, db):
    from datetime import timedelta

    from django.utils import timezone

    day = timezone.localdate() + timedelta(days=7)
    response = client.post(
        "/consultation/", form_data(topic="data", preferred_date=day.isoformat(), time_window="morning")
    )
    assert response.status_code == 302
    message = Message.objects.get()
    assert (message.kind, message.topic, message.preferred_date, message.time_window) == ("consultation", "data", day, "morning")


def test_consultation_in_the_past_is_refused(client, db):
    response = client.post("/consultation/", form_data(topic="web", preferred_date="2020-01-01", time_window="morning"))
    assert response.status_code == 400 and "from tomorrow on" in response.content.decode()
    assert not Message.objects.exists()


def test_consent_is_required(client, db):
    response = client.post("/contact/", form_data(consent=None))
    assert response.status_code == 400 and "privacy policy" in response.content.decode()
    assert not Message.objects.exists()


def test_a_form_field_that_names_no_message_field_is_an_error(db):
    import pytest
    from datetime import datetime, timezone

    from contact.leads import UnknownField
    from contact.meta import RequestMeta
    from contact.services import message_store
    from contact.spam import SpamVerdict

    submission = {"name": "Ana", "email": "ana@example.com", "subject": "Hi", "message": "Hello there", "budgt": "5k"}
    with pytest.raises(UnknownField, match="budgt"):
        message_store(
            kind="contact", submission=submission, meta=RequestMeta(ip="10.0.0.1"), verdict=SpamVerdict(is_spam=False),
            idempotency_key="k" * 32, received_at=datetime.now(timezone.utc),
        )
    assert not Lead.objects.exists() and not Message.objects.exists()


def test_the_declaration_drives_the_upsert_inbox_and_csv(db):
    from datetime import datetime, timezone

    from contact.leads import CSV_COLUMNS, INBOX_PROJECTION, lead_document, lead_upsert

    assert list(CSV_COLUMNS)[:3] == ["name", "email", "company"] and CSV_COLUMNS["messages"] == "message_count"
    assert INBOX_PROJECTION["assignee_id"] == 1 and "search_terms" not in INBOX_PROJECTION
    # every column is stored, at its model default unless given
    assert lead_document(name="Ana") == {**lead_document(), "name": "Ana"}
    assert set(lead_document()) == {f.column for f in Lead._meta.concrete_fields if not f.primary_key}
    at = datetime.now(timezone.utc)
    lead = lead_upsert(email="ana@example.com", values={"name": "Ana", "company": "Padaria"}, received_at=at, spam=False)
    lead = lead_upsert(email="ana@example.com", values={"name": "Ana B", "company": ""}, received_at=at, spam=False)
    assert (lead.name, lead.company, lead.status, lead.phone) == ("Ana B", "Padaria", "new", "")


def test_spam_goes_back_to_new_any_other_status_stays():
    from contact.leads import spam_changes

    assert spam_changes(status="contacted", spam=True) == {"is_spam": True, "status": "spam"}
    assert spam_changes(status="spam", spam=False) == {"is_spam": False, "status": "new"}
    assert spam_changes(status="won", spam=False) == {"is_spam": False, "status": "won"}


def test_person_forget_takes_messages_outbox_and_rate_limits(client, db):
    from contact.models import OutboxJob
    from contact.services import person_forget

    client.post("/contact/", form_data(email="ana@example.com"))
    assert OutboxJob.objects.exists()
    counts = person_forget(email="ana@example.com")
    assert counts["messages"] == 1 and counts["outbox"] >= 2 and counts["rate_limits"] >= 1
    assert not Lead.objects.exists() and not Message.objects.exists() and not OutboxJob.objects.exists()
    assert person_forget(email="nobody@example.com") == {"messages": 0, "outbox": 0, "rate_limits": 0}
