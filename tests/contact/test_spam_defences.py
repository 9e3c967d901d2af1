import time

import pytest

from contact.models import Lead, LeadStatus, Message, OutboxJob
from contact.forms import signed_form_timestamp
from tests.factories import form_data
from tests.helpers import NO_EDGE_WINDOW


def _post(client, **overrides):
    return client.post("/contact/", form_data(**overrides))


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"website": "https://seo-offers.example"}, "honeypot"),
        ({"form_ts": "rendered just now"}, "too_fast"),
        ({"form_ts": None}, "no_timestamp"),
        ({"form_ts": "12345:forged:signature"}, "no_timestamp"),
        ({"message": "Visit https://a.example and http://b.example and www.c.example now!"}, "links"),
        ({"name": "Win at www.prizes.example"}, "name_link"),
        ({"message": "Best online CASINO bonuses for your visitors, reply now."}, "blocklist"),
    ],
)
def test_spam_is_stored_flagged_and_sends_nothing(client, db, overrides, reason):
    if overrides.get("form_ts") == "rendered just now":
        overrides = {"form_ts": signed_form_timestamp(time.time())}
    response = _post(client, **overrides)

    assert response.status_code == 302, "a bot is told nothing"
    message = Message.objects.get()
    assert message.is_spam and reason in message.spam_reasons
    assert Lead.objects.get().status == LeadStatus.SPAM
    assert not OutboxJob.objects.exists()


def test_blocked_domain_is_spam(client, db, settings):
    settings.CONTACT_BLOCKED_DOMAINS = ["spam.example"]
    _post(client, email="bot@SPAM.example")
    assert Message.objects.get().spam_reasons == ["blocked_domain"]


def test_clean_message_is_not_spam(client, db):
    _post(client, message="We sell handmade shoes (see www.shoes.example) and need a shop.")
    message = Message.objects.get()
    assert not message.is_spam and message.spam_reasons == []
    assert OutboxJob.objects.filter(kind="staff_email").count() == 1


def test_rate_limit_per_ip_holds_across_emails(client, db, settings):
    settings.CONTACT_RATE_LIMITS = {"ip": (3, NO_EDGE_WINDOW), "email": (100, NO_EDGE_WINDOW)}
    statuses = [_post(client, email=f"p{i}@example.com").status_code for i in range(5)]
    assert statuses == [302, 302, 302, 429, 429]
    assert Message.objects.count() == 3
    refused = _post(client, email="late@example.com")
    assert "try again in" in refused.content.decode() and int(refused["Retry-After"]) > 0


def test_rate_limit_per_email_holds_across_ips(client, db, settings):
    settings.CONTACT_RATE_LIMITS = {"ip": (100, NO_EDGE_WINDOW), "email": (2, NO_EDGE_WINDOW)}
    statuses = [client.post("/contact/", form_data(), REMOTE_ADDR=f"81.2.69.{i}").status_code for i in range(4)]
    assert statuses == [302, 302, 429, 429]


def test_rate_limit_answers_json_clients_with_429(client, db, settings):
    settings.CONTACT_RATE_LIMITS = {"ip": (1, NO_EDGE_WINDOW), "email": (100, NO_EDGE_WINDOW)}
    _post(client)
    response = client.post("/contact/", form_data(), HTTP_ACCEPT="application/json")
    assert response.status_code == 429
    assert response.json()["errors"]["__all__"][0]["code"] == "rate_limited"


def test_rate_limit_counters_expire_through_a_ttl_index(db):
    from django.db import connection

    from contact.ratelimit import COLLECTION

    indexes = connection.get_collection(COLLECTION).index_information()
    assert any(spec.get("expireAfterSeconds") == 0 and spec["key"] == [("expires_at", 1)] for spec in indexes.values())


def test_double_submit_creates_one_message(client, db):
    data = form_data()
    first, second = client.post("/contact/", data), client.post("/contact/", data)
    assert first.status_code == second.status_code == 302
    assert Message.objects.count() == 1
    assert OutboxJob.objects.filter(kind="staff_email").count() == 1


def test_trained_model_scores_and_flags_at_intake(client, db, settings, tmp_path):
    from analytics.spam_model import save_model, train

    ham = [f"Hello, we need a new website for our {kind} and would like a quote." for kind in ("bakery", "clinic", "shop", "hotel", "studio", "school")]
    spam = [f"WINNER!! Claim your free {prize} now, call 0800 now to claim cash prize" for prize in ("iphone", "voucher", "cruise", "laptop", "car", "gift")]
    model, info = train(ham + spam, ["ham"] * 6 + ["spam"] * 6)
    settings.ANALYTICS_MODEL_PATH = tmp_path / "model.joblib"
    save_model(settings.ANALYTICS_MODEL_PATH, model, info=info)
    settings.CONTACT_SPAM_MODEL_THRESHOLD = 0.5
    settings.CONTACT_SPAM_SCORE_TIMEOUT_MS = 60_000  # the first use loads the model: not what this test times

    _post(client, email="ham@example.com", subject="Quote", message="Hello, we need a new website for our bakery, could you send a quote?")
    _post(client, email="spam@example.com", subject="WINNER", message="WINNER!! Claim your free cruise now, call 0800 to claim your cash prize")

    ham_message, spam_message = Message.objects.get(email="ham@example.com"), Message.objects.get(email="spam@example.com")
    assert ham_message.spam_score < 0.5 and not ham_message.is_spam
    assert spam_message.spam_score >= 0.5 and spam_message.spam_reasons == ["model"]
