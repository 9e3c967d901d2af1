"""MongoDB down during submissions: visitors still succeed, and nothing is lost or doubled."""
from contact.models import Message, OutboxJob
from contact.spool import spool_pending
from contact.worker import worker_tick
from tests.conftest import form_data


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
