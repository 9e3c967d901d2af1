from contact.models import Lead, Message
from tests.conftest import form_data


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
