"""Duplicate leads: the keys (pure), each kind of duplicate found through its index, near misses not found."""
import uuid
from importlib import import_module
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from contact.dupkeys import domain_key, mailbox_key, name_key, names_similar, phone_key, text_bands, text_similarity
from contact.duplicates import TEXT_THRESHOLD, Reason, lead_duplicates
from contact.leads import lead_collection, lead_document, message_collection, message_document
from contact.meta import RequestMeta
from contact.models import Lead, Message
from contact.services import message_store
from contact.spam import SpamVerdict
from tests.contact.test_indexes import index_names

ENQUIRY = ("Hello, we run two bakeries in Porto and need a new website with online ordering, delivery slots "
           "and a loyalty programme. Could you send us a quote and a rough timeline? Thanks!")


def submit(*, name: str, email: str, message: str = "We need a website.", phone: str = "", company: str = "", country: str = "PT") -> Lead:
    submission = {"name": name, "email": email, "subject": "Website", "message": message, "company": company}
    if phone:
        submission["phone"] = phone
    result = message_store(
        kind="contact", submission=submission, meta=RequestMeta(ip="203.0.113.9", user_agent="pytest", country=country),
        verdict=SpamVerdict(is_spam=False, score=0.1), idempotency_key=uuid.uuid4().hex, received_at=timezone.now(),
    )
    return Lead.objects.get(pk=result.message.lead_id)


def found(lead: Lead) -> dict[str, list[str]]:
    return {d.lead.email: d.kinds for d in lead_duplicates(lead=Lead.objects.get(pk=lead.pk))}


# --- keys ---

@pytest.mark.parametrize("written", ["Ana.Souza@gmail.com", "anasouza+crm@googlemail.com", "ANA.SOU.ZA@GMAIL.COM", "anasouza@gmail.com"])
def test_one_gmail_mailbox_however_written(written):
    assert mailbox_key(written) == "anasouza@gmail.com"


def test_plus_tags_and_case_fold_elsewhere_but_dots_do_not():
    assert mailbox_key("Ana+news@Padaria.pt") == mailbox_key("ana@padaria.pt") == "ana@padaria.pt"
    assert mailbox_key("ana.souza@padaria.pt") != mailbox_key("anasouza@padaria.pt")  # dots matter outside Gmail
    assert mailbox_key("not-an-address") == ""


def test_phones_written_differently_give_one_key():
    assert {phone_key(p, "PT") for p in ("+351 912 345 678", "912345678", "00351-912-345-678", "(+351) 91 234 56 78")} == {"+351912345678"}
    assert phone_key("912345678", "PT") != phone_key("912345679", "PT")
    assert phone_key("12", "PT") == "" and phone_key("", "PT") == ""


def test_free_mail_has_no_company_domain():
    assert domain_key("ana@Padaria-Porto.pt") == "padaria-porto.pt"
    assert domain_key("ana@gmail.com") == domain_key("ana@yahoo.co.uk") == domain_key("ana@outlook.com") == ""


def test_name_keys_and_similar_names():
    assert name_key("Ana Souza") == name_key("souza, ana") == name_key("A. Souza") == name_key("Dr. Ána Maria Souza") == "souza a"
    assert name_key("Ana") == ""
    assert names_similar("Ana Souza", "A. Souza") and names_similar("Alex Weber", "Alexander Weber")
    assert not names_similar("Ana Souza", "Alberto Souza")  # a family business
    assert not names_similar("Ana Souza", "Ana Lima")


def test_near_identical_texts_share_a_band_and_different_ones_do_not():
    edited = ENQUIRY.replace("Hello,", "Hi there,").replace("Thanks!", "Best regards, Ana")
    other = ("Good morning, our law firm in Lisbon wants to redesign its site and improve search rankings for "
             "family law. What would a six month engagement cost, and who would run it?")
    assert text_similarity(ENQUIRY, edited) >= TEXT_THRESHOLD
    assert set(text_bands(ENQUIRY)) & set(text_bands(edited))
    assert text_similarity(ENQUIRY, other) < 0.2 and not set(text_bands(ENQUIRY)) & set(text_bands(other))
    assert text_bands("Please call me back") == []  # too short to judge
    assert text_bands(ENQUIRY) == text_bands(ENQUIRY)  # stable: stored bands must match tomorrow's


# --- detection against the database ---

def test_the_same_mailbox_written_differently_is_found(db):
    lead = submit(name="Ana Souza", email="Ana.Souza@gmail.com")
    submit(name="Ana S", email="anasouza+crm@googlemail.com")
    submit(name="Ana Souza", email="ana.souza@hotmail.com")  # another mailbox, free mail: not a duplicate
    assert found(lead) == {"anasouza+crm@googlemail.com": [Reason.MAILBOX]}


def test_the_same_phone_is_found(db):
    lead = submit(name="Bruno Costa", email="bruno@garage.pt", phone="+351 912 345 678")
    submit(name="B. Costa", email="bcosta@gmail.com", phone="912 345 678")
    submit(name="Carla Dias", email="carla@dias.pt", phone="912 345 679")
    assert found(lead) == {"bcosta@gmail.com": [Reason.PHONE]}


def test_a_similar_name_at_the_same_company_domain_is_found(db):
    lead = submit(name="Ana Souza", email="ana@padaria-porto.pt")
    submit(name="Souza, A.", email="encomendas@padaria-porto.pt")
    submit(name="Alberto Souza", email="alberto@padaria-porto.pt")  # her father: same surname, another person
    submit(name="Ana Souza", email="ana.souza@gmail.com")  # same name on free mail: could be anyone
    submit(name="Ana Souza", email="ana@other-bakery.pt")
    assert found(lead) == {"encomendas@padaria-porto.pt": [Reason.NAME]}


def test_near_identical_text_from_another_address_is_found(db):
    lead = submit(name="Ana Souza", email="ana@padaria.pt", message=ENQUIRY)
    submit(name="Padaria Porto", email="geral@padaria-porto.com", message=ENQUIRY.replace("Thanks!", "Kind regards"))
    submit(name="Rui Lopes", email="rui@lopes.pt", message="We run a bakery in Porto and want a website. " * 2)
    assert found(lead) == {"geral@padaria-porto.com": [Reason.TEXT]}
    [duplicate] = lead_duplicates(lead=lead)
    assert duplicate.reasons[0].startswith("near-identical text (") and "% alike" in duplicate.reasons[0]


def test_near_identical_text_of_an_older_message_is_found_through_its_later_band_queries(db):
    """The lead's newest text is its own; the shared one is older, its bands in later short queries
    (maniva_webapp.mongo.find_in)."""
    submit(name="Ana Souza", email="ana@padaria.pt", message=ENQUIRY)
    lead = submit(name="Ana Souza", email="ana@padaria.pt", message="And one more thing: the shop also sells cakes to cafés, by the dozen, on weekdays.")
    submit(name="Padaria Porto", email="geral@padaria-porto.com", message=ENQUIRY.replace("Thanks!", "Kind regards"))
    assert found(lead) == {"geral@padaria-porto.com": [Reason.TEXT]}


def test_several_reasons_are_listed_together_and_a_lead_is_never_its_own_duplicate(db):
    lead = submit(name="Ana Souza", email="ana@padaria.pt", phone="912345678", message=ENQUIRY)
    submit(name="Ana Souza", email="Ana+orders@padaria.pt", phone="+351912345678", message=ENQUIRY)
    assert found(lead) == {"Ana+orders@padaria.pt": [Reason.MAILBOX, Reason.PHONE, Reason.NAME, Reason.TEXT]}
    assert found(Lead.objects.get(email="Ana+orders@padaria.pt")) == {"ana@padaria.pt": [Reason.MAILBOX, Reason.PHONE, Reason.NAME, Reason.TEXT]}


def test_the_keys_follow_a_new_name_and_phone(db):
    submit(name="Ana", email="ana@padaria.pt")
    lead = submit(name="Ana Souza", email="ana@padaria.pt", phone="912345678")
    assert (lead.name_key, lead.phone_key, lead.domain_key, lead.mailbox_keys) == ("souza a", "+351912345678", "padaria.pt", ["ana@padaria.pt"])


def test_every_candidate_query_goes_through_its_index(db):
    now = timezone.now()
    lead_collection().insert_many([lead_document(email=f"p{n}@x{n}.pt", name=f"P N{n}", created_at=now, last_activity_at=now) for n in range(50)])
    message_collection().insert_many([message_document(name="P", email="p@x.pt", subject="s", message=f"text {n} " * 20, received_at=now) for n in range(50)])
    leads = lead_collection()
    assert index_names(leads.find({"mailbox_keys": "p1@x1.pt"}).explain()) == ["lead_mailbox_keys"]
    assert index_names(leads.find({"phone_key": "+351912345678"}).explain()) == ["lead_phone_key"]
    assert index_names(leads.find({"domain_key": "x1.pt", "name_key": "n1 p"}).explain()) == ["lead_domain_name"]
    assert index_names(leads.find({"aliases": "a@b.pt"}).explain()) == ["lead_aliases"]
    assert index_names(leads.find({"merged_ids": "0" * 24}).explain()) == ["lead_merged_ids"]
    bands = text_bands(ENQUIRY)
    assert index_names(message_collection().find({"text_bands": {"$in": bands}}).explain()) == ["message_text_bands"]


def test_the_migration_backfills_the_keys_of_stored_leads_and_messages(db):
    now = timezone.now()
    lead_collection().insert_one(lead_document(email="Ana.Souza+x@gmail.com", name="Souza, Ana", phone="912345678", country="PT",
                                               created_at=now, last_activity_at=now))
    message_collection().insert_one(message_document(name="Ana", email="a@b.pt", subject="s", message=ENQUIRY, received_at=now))
    migration = import_module("contact.migrations.0013_duplicate_keys")
    migration.keys_backfill(apps, SimpleNamespace(connection=connection))
    lead = Lead.objects.get()
    assert (lead.mailbox_keys, lead.phone_key, lead.domain_key, lead.name_key) == (["anasouza@gmail.com"], "+351912345678", "", "souza a")
    assert Message.objects.get().text_bands == text_bands(ENQUIRY)
