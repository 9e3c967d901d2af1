"""What one accepted contact POST costs the database (issue 15), counted by a pymongo CommandListener
on the site's own client against the suite's server, and the guarantees the cheap path keeps."""
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.utils import timezone

from contact import ratelimit
from contact.lead_ids import lead_ids_forget
from contact.leads import lead_collection, lead_intake, message_insert
from contact.models import Lead, LeadStatus, Message, OutboxJob
from contact.services import deliveries_sweep
from tests.factories import form_data, make_message
from tests.helpers import ThreadCommands, intent_model_at_hand, site_client_listening


@pytest.fixture
def commands():
    listener = ThreadCommands()
    with site_client_listening(listener):
        yield listener


FOUR = {"update contact_ratelimit": 1, "update contact_lead": 1, "insert contact_message": 1, "insert contact_outboxjob": 1}


def _post(client, commands: ThreadCommands, **overrides) -> list[str]:
    """The commands the POST sent, as "name collection"."""
    data = form_data(**overrides)
    client.get("/contact/")  # the CSRF cookie, as a browser has it
    commands.arm()
    response = client.post("/contact/", data)
    sent = commands.disarm()
    assert response.status_code == 302
    return [f"{name} {command.get(name)}" for name, command in sent]


def test_an_accepted_post_makes_at_most_four_round_trips(client, db, commands):
    sent = _post(client, commands, email="first@example.com")
    assert len(sent) <= 4, sent
    assert Counter(sent) == FOUR, sent
    message = Message.objects.get()
    lead = Lead.objects.get()
    assert message.lead_id == lead.pk and lead.message_count == 1 and lead.kinds == ["contact"]
    assert sorted(OutboxJob.objects.values_list("key", flat=True)) == [f"staff_email:{message.pk}", f"visitor_email:{message.pk}"]


def test_with_an_intent_model_at_hand_the_post_stores_its_suggestion_in_the_same_round_trips(client, db, commands):
    """The suggestion rides on the lead's upsert and the message's insert: no write of its own, here or in the worker."""
    intent_model_at_hand()
    sent = _post(client, commands, email="olive@example.com", subject="Online shop",
                 message="We want to sell our olive oil online with a proper shop and delivery.")
    assert Counter(sent) == FOUR, sent
    message, lead = Message.objects.get(), Lead.objects.get()
    assert message.intent == lead.intent == "project:web-design-development" and 0 < message.intent_score <= 1
    assert lead.intent_set_at is None


def test_a_returning_visitor_this_process_has_seen_costs_the_same_four_round_trips(client, db, commands):
    _post(client, commands, email="back@example.com")
    sent = _post(client, commands, email="back@example.com", subject="Second thoughts")
    assert Counter(sent) == FOUR, sent
    lead = Lead.objects.get()
    assert lead.message_count == 2 and lead.last_subject == "Second thoughts"
    assert set(Message.objects.values_list("lead_id", flat=True)) == {lead.pk}


def test_a_returning_visitor_this_process_has_not_seen_costs_one_more_read_for_the_lead_id(client, db, commands):
    _post(client, commands, email="back@example.com")
    lead_ids_forget()  # as another web process would see them
    sent = _post(client, commands, email="back@example.com", subject="Second thoughts")
    assert len(sent) == 5 and sent.count("find contact_lead") == 1, sent
    lead = Lead.objects.get()
    assert lead.message_count == 2 and set(Message.objects.values_list("lead_id", flat=True)) == {lead.pk}


def test_a_remembered_lead_that_is_gone_is_not_written_to_and_the_visitor_gets_a_new_one(client, db, commands):
    from contact.services import person_forget

    _post(client, commands, email="gone@example.com")
    erased = Lead.objects.get().pk
    person_forget(email="gone@example.com")
    sent = _post(client, commands, email="gone@example.com", subject="Back again")
    lead = Lead.objects.get()
    assert lead.pk != erased and lead.message_count == 1 and lead.last_subject == "Back again"
    assert list(Message.objects.values_list("lead_id", flat=True)) == [lead.pk]
    assert sent.count("update contact_lead") == 2, sent  # the remembered _id matched nothing: the usual upsert


def test_a_form_posted_again_is_one_message_counted_once(client, db):
    data = form_data(email="twice@example.com")
    assert client.post("/contact/", data).status_code == client.post("/contact/", data).status_code == 302
    lead = Lead.objects.get()
    assert Message.objects.count() == 1 and lead.message_count == 1 and lead.intake_keys == [data["idem"]]


def _intake(email: str, key: str, *, spam: bool = False, subject: str = "Hello", at=None):
    return lead_intake(
        email=email, values={"name": "Ana", "company": "", "country": "PT", "phone": ""}, received_at=at or timezone.now(),
        spam=spam, kind="contact", terms=["ana", "hello"], subject=subject, key=key,
    )


def test_a_lead_counted_but_its_message_not_stored_is_not_counted_again(db):
    """The request died between the lead's update and the message's insert; the browser posts again."""
    lead_id = _intake("crash@example.com", "k1")
    assert _intake("crash@example.com", "k1") == lead_id  # the repeat takes the general path
    lead = Lead.objects.get()
    assert lead.message_count == 1 and lead.intake_keys == ["k1"]


def test_a_message_that_is_not_spam_clears_a_spam_lead(db):
    lead_id = _intake("mixed@example.com", "k1", spam=True)
    assert Lead.objects.get(pk=lead_id).status == LeadStatus.SPAM
    _intake("mixed@example.com", "k2")
    lead = Lead.objects.get(pk=lead_id)
    assert (lead.is_spam, lead.status, lead.message_count) == (False, LeadStatus.NEW, 2)


def test_an_older_message_counts_but_keeps_the_latest_subject(db):
    now = timezone.now()
    _intake("late@example.com", "k1", subject="Newest", at=now)
    _intake("late@example.com", "k2", subject="Replayed from the spool", at=now - timedelta(hours=1))
    lead = Lead.objects.get()
    assert (lead.message_count, lead.last_subject, lead.last_activity_at) == (2, "Newest", now.replace(microsecond=now.microsecond // 1000 * 1000))


def test_racing_first_messages_of_one_person_make_one_lead_counting_each(db):
    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(lambda i: _intake("race@example.com", f"k{i}"), range(16)))
    lead = Lead.objects.get()
    assert set(ids) == {lead.pk} and lead.message_count == 16


def test_racing_hits_on_a_new_window_admit_at_most_the_limit(db):
    counter = ratelimit.Counter("race", "one-key", 5, 3600)

    def hit(i: int) -> bool:
        try:
            ratelimit.hits(counters=[counter], token=f"t{i}")
        except ratelimit.RateLimited:
            return False
        return True

    with ThreadPoolExecutor(8) as pool:
        admitted = [i for i, passed in zip(range(24), pool.map(hit, range(24))) if passed]
    assert 1 <= len(admitted) <= 5
    assert not hit(99)  # the window is full …
    with ThreadPoolExecutor(8) as pool:
        assert all(pool.map(hit, admitted))  # … but a form admitted already passes again


def test_a_form_posted_again_at_the_limit_still_passes(db):
    counters = [ratelimit.Counter("ip", "10.0.0.1", 2, 3600), ratelimit.Counter("email", "a@example.com", 2, 3600)]
    ratelimit.hits(counters=counters, token="a")
    ratelimit.hits(counters=counters, token="b")
    ratelimit.hits(counters=counters, token="b")  # posted again: counted once
    with pytest.raises(ratelimit.RateLimited) as refused:
        ratelimit.hits(counters=counters, token="c")
    assert refused.value.scope == "ip" and refused.value.retry_after > 0


def test_the_sweep_marks_enqueued_messages_and_enqueues_for_those_whose_request_died(db):
    old = timezone.now() - timedelta(minutes=5)
    enqueued = make_message(email="fine@example.com", received_at=old)
    stranded = message_insert(  # stored, then its request died before the outbox insert
        lead_id=lead_collection().find_one({"email": "fine@example.com"})["_id"], name="Ana", email="fine@example.com",
        subject="Lost", message="Hello", received_at=old, idempotency_key=uuid.uuid4().hex,
    )
    spam = make_message(email="bot@example.com", received_at=old, spam=True)
    recent = make_message(email="new@example.com")
    assert not Message.objects.filter(deliveries_enqueued=True).exists()

    assert deliveries_sweep() == 1
    marked = set(Message.objects.filter(deliveries_enqueued=True).values_list("pk", flat=True))
    assert marked == {enqueued.pk, stranded.pk}  # spam has nothing to deliver; the recent one may be mid-request
    keys = Counter(OutboxJob.objects.values_list("key", flat=True))
    assert set(keys.values()) == {1}
    assert {f"staff_email:{m.pk}" for m in (enqueued, stranded, recent)} <= set(keys) and f"staff_email:{spam.pk}" not in keys
    assert deliveries_sweep() == 0
