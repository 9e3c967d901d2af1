"""MongoDB down during submissions: visitors still succeed, and nothing is lost or doubled."""
from contact.models import Message, OutboxJob
from contact.spool import spool_pending
from contact.worker import worker_tick
from tests.factories import form_data
from tests.helpers import NO_EDGE_WINDOW


def test_submissions_while_the_database_is_down_are_spooled_then_replayed_once(client, db, db_server, smtp_server):
    client.post("/contact/", form_data(email="before@example.com"))
    posts = [form_data(email=f"during{i}@example.com", subject=f"Outage {i}") for i in range(3)]

    db_server.stop()
    try:
        answers = [client.post("/contact/", data) for data in posts]
        answers.append(client.post("/contact/", posts[0]))  # a resubmit during the outage
        replay_while_down = worker_tick(worker="w")
    finally:
        db_server.start()

    assert [a.status_code for a in answers] == [302] * 4
    assert client.get(answers[0]["Location"]).status_code == 200
    assert replay_while_down == 0 and spool_pending() == 4

    worker_tick(worker="w")
    worker_tick(worker="w")  # a second replay finds nothing to add

    assert spool_pending() == 0
    assert sorted(Message.objects.values_list("email", flat=True)) == [
        "before@example.com", "during0@example.com", "during1@example.com", "during2@example.com"
    ]
    assert OutboxJob.objects.filter(kind="staff_email").count() == 4
    mails = smtp_server.wait_for(8)
    assert sum(1 for m in mails if m["To"] == "team@maniva.test") == 4


def test_replay_is_idempotent_when_a_message_already_exists(db, settings, tmp_path):
    from contact.meta import RequestMeta
    from contact.services import spooled_store
    from contact.spam import SpamVerdict
    from contact.spool import spool_append, spool_replay

    settings.CONTACT_SPOOL_DIR = tmp_path
    record = {
        "kind": "contact",
        "submission": {"name": "Bo", "email": "bo@example.com", "subject": "Hi", "message": "Hello there, a question."},
        "meta": RequestMeta(ip="81.2.69.160", country="GB").as_dict(),
        "verdict": {"is_spam": False, "score": 0.0, "reasons": []},
        "idempotency_key": "a" * 32,
        "received_at": "2026-11-25T10:00:00+00:00",
    }
    spool_append(record)
    spool_append(record)

    assert spool_replay(spooled_store) == 2
    message = Message.objects.get()
    assert message.country == "GB" and message.received_at.isoformat() == "2026-11-25T10:00:00+00:00"
    assert spool_pending() == 0


def _spool_record(i: int, *, email: str = "flood@example.com") -> dict:
    from contact.meta import RequestMeta

    return {
        "kind": "contact",
        "submission": {"name": "Flo", "email": email, "subject": f"Offer {i}", "message": "Hello there, a question about a site."},
        "meta": RequestMeta(ip=f"81.2.69.{i}", country="GB").as_dict(),
        "verdict": {"is_spam": False, "score": 0.0, "reasons": []},
        "idempotency_key": f"{i:032d}",
        "received_at": "2026-11-25T10:00:00+00:00",
    }


def test_rate_limits_hold_while_the_database_is_down(client, db, db_server, settings):
    settings.CONTACT_RATE_LIMITS = {"ip": (5, NO_EDGE_WINDOW), "email": (3, NO_EDGE_WINDOW)}  # posts wait on the dead database
    posts = [form_data(email="outage@example.com", subject=f"Outage {i}") for i in range(5)]

    db_server.stop()
    try:
        answers = [client.post("/contact/", data) for data in posts[:3]]
        answers.append(client.post("/contact/", posts[0]))  # the same form again counts once
        answers += [client.post("/contact/", data) for data in posts[3:]]
    finally:
        db_server.start()

    assert [a.status_code for a in answers] == [302, 302, 302, 302, 429, 429]
    assert int(answers[-1]["Retry-After"]) > 0
    assert spool_pending() == 4  # three forms, one of them twice


def test_replay_applies_the_shared_limits_and_flags_what_is_over(db, settings, tmp_path, smtp_server):
    from contact.services import spooled_store
    from contact.spool import spool_append, spool_replay

    settings.CONTACT_SPOOL_DIR = tmp_path
    settings.CONTACT_RATE_LIMITS = {"ip": (5, 600), "email": (3, 3600)}
    for i in range(4):  # four web processes each let one through during the outage
        spool_append(_spool_record(i))
    spool_append(_spool_record(0))  # and one was posted twice

    assert spool_replay(spooled_store) == 5
    messages = Message.objects.order_by("idempotency_key")
    assert [m.is_spam for m in messages] == [False, False, False, True]
    assert "rate_limited_email" in messages[3].spam_reasons
    assert OutboxJob.objects.filter(kind="staff_email").count() == 3


def test_a_full_spool_refuses_with_503_and_keeps_what_it_accepted(client, db, db_server, settings, tmp_path):
    from contact.spool import spool_append

    settings.CONTACT_SPOOL_DIR = tmp_path
    spool_append(_spool_record(1))
    settings.CONTACT_SPOOL_MAX_BYTES = (tmp_path / "submissions.jsonl").stat().st_size + 900

    db_server.stop()
    try:
        first = client.post("/contact/", form_data(email="fits@example.com"))
        second = client.post("/contact/", form_data(email="refused@example.com"))
    finally:
        db_server.start()

    assert first.status_code == 302
    assert second.status_code == 503 and int(second["Retry-After"]) > 0
    assert "cannot take messages" in second.content.decode()
    assert spool_pending() == 2


def test_posting_the_same_form_again_does_not_use_up_the_rate_limit(client, db, settings):
    settings.CONTACT_RATE_LIMITS = {"ip": (100, NO_EDGE_WINDOW), "email": (3, NO_EDGE_WINDOW)}
    again = form_data(email="eager@example.com")
    answers = [client.post("/contact/", again) for _ in range(4)]
    answers += [client.post("/contact/", form_data(email="eager@example.com", subject=f"Other {i}")) for i in range(3)]

    assert [a.status_code for a in answers] == [302] * 6 + [429]
    assert Message.objects.filter(email="eager@example.com").count() == 3
