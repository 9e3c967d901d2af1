"""The form round trip: browser-like POST → MongoDB → outbox → a real SMTP server."""
from bson import ObjectId
from django.conf import settings
from django.core.management import call_command
from pymongo import MongoClient

from contact.models import Message
from tests.factories import form_data


def _raw_messages():
    """The collection as mongosh or Compass would see it, through a separate plain pymongo client."""
    db_name = settings.DATABASES["default"]["NAME"]
    client = MongoClient(settings.MONGODB_URI)
    return client, client[db_name]["contact_message"]


def test_contact_form_round_trip_stores_and_mails(client, db, smtp_server):
    page = client.get("/")
    assert page.status_code == 200
    for name in ("name", "email", "subject", "message"):
        assert f'name="{name}"' in page.content.decode()

    response = client.post("/contact/", form_data(), follow=True)

    assert response.redirect_chain[-1][0] == "/contact/thanks/"
    assert "Thank you, Ana Souza" in response.content.decode()
    raw_client, raw = _raw_messages()
    with raw_client:
        docs = list(raw.find({}))
    assert len(docs) == 1
    doc = docs[0]
    assert isinstance(doc["_id"], ObjectId)
    assert doc["email"] == "ana@example.com"
    assert doc["subject"] == "New website for our bakery"
    assert doc["received_at"] is not None and doc["is_spam"] is False

    call_command("run_worker", "--once", stdout=open("/dev/null", "w"))

    mails = smtp_server.wait_for(2)
    staff = next(m for m in mails if m["To"] == "team@maniva.test")
    assert "Ana Souza" in staff["Subject"]
    assert staff["Reply-To"] == "ana@example.com"
    assert "online ordering" in staff.get_payload(0).get_payload(decode=True).decode()
    visitor = next(m for m in mails if m["To"] == "ana@example.com")
    assert "online ordering" not in visitor.as_string()


def test_consultation_page_renders_its_form(client, db):
    page = client.get("/consultation/").content.decode()
    for name in ("preferred_date", "time_window", "topic", "consent"):
        assert f'name="{name}"' in page


def _assert_rejected(client, data, field, expected_text):
    response = client.post("/contact/", data)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert expected_text in response.content.decode()
    assert Message.objects.count() == 0


def test_empty_fields_are_refused(client, db):
    _assert_rejected(client, form_data(name="", email="", subject="", message=""), "name", "This field is required")


def test_bad_email_is_refused(client, db):
    _assert_rejected(client, form_data(email="not-an-email"), "email", "Enter a valid email address")


def test_100kb_message_is_refused(client, db):
    _assert_rejected(client, form_data(message="x" * 100_000), "message", "at most 5000 characters")


def test_json_clients_get_field_errors(client, db):
    response = client.post("/contact/", form_data(email="nope"), HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert response.json()["errors"]["email"][0]["code"] == "invalid"
