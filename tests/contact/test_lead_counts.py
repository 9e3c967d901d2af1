"""The maintained counts of leads per status equal a full recount, after every kind of write that
moves a lead between statuses, alone and concurrently from several connections to the real server."""
import random
from concurrent.futures import ThreadPoolExecutor
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from contact import services
from contact.lead_counts import (
    SETTLE_AT,
    lead_counts_recount,
    lead_counts_settle,
    lead_status_counts,
)
from contact.models import Lead, LeadStatus, LeadStatusCount
from tests.factories import make_message


def stored_counts() -> dict[str, int]:
    return {row.status: row.n for row in LeadStatusCount.objects.all() if row.n}


def assert_counts_right() -> None:
    recount = lead_counts_recount()
    assert lead_status_counts() == recount  # pending moves included
    lead_counts_settle()
    assert stored_counts() == recount == lead_status_counts()
    assert not Lead.objects.filter(count_pending=True).exists()


def lead_of(email: str) -> Lead:
    return Lead.objects.get(email=email)


@pytest.mark.django_db
def test_counts_follow_a_mixed_sequence_of_writes():
    for i in range(6):
        make_message(email=f"p{i}@example.com", name=f"Person {i}")
    make_message(email="bot@example.com", spam=True)
    assert lead_status_counts() == {"new": 6, "spam": 1}  # before anything settled
    assert_counts_right()

    now = timezone.now()
    services.lead_status_change(lead=lead_of("p0@example.com"), status=LeadStatus.QUALIFIED, at=now)
    services.lead_status_change(lead=lead_of("p1@example.com"), status=LeadStatus.WON, at=now)
    services.lead_spam_set(lead=lead_of("p2@example.com"), spam=True)
    services.lead_contacted(lead=lead_of("p3@example.com"), at=now)
    assert lead_status_counts() == {"new": 2, "qualified": 1, "won": 1, "spam": 2, "contacted": 1}
    assert_counts_right()

    services.lead_spam_set(lead=lead_of("p2@example.com"), spam=False)  # back to new
    services.lead_status_change(lead=lead_of("bot@example.com"), status=LeadStatus.LOST, at=now)  # spam left
    make_message(email="p1@example.com")  # a returning visitor: no new lead
    make_message(email="p4@example.com", spam=True)  # flagged on a lead that is not spam: it stays
    lead = lead_of("p5@example.com")
    services.lead_spam_set(lead=lead, spam=True)
    make_message(email="p5@example.com")  # a genuine message clears a spam lead back to new
    assert lead_of("p5@example.com").status == LeadStatus.NEW
    assert_counts_right()

    services.person_forget(email="p0@example.com")  # GDPR erasure, counted
    services.person_forget(email="p3@example.com")
    make_message(email="p9@example.com")
    services.person_forget(email="p9@example.com")  # erased before it was ever counted
    lead = lead_of("p4@example.com")
    lead.status = LeadStatus.PROPOSAL
    lead.save()  # a whole-document save, as the admin makes
    lead_of("p1@example.com").delete()  # an ORM delete, as the admin makes
    assert lead_status_counts() == lead_counts_recount() == {"new": 2, "proposal": 1, "lost": 1}
    assert_counts_right()


@pytest.mark.django_db
def test_a_read_settles_once_many_leads_are_pending():
    for i in range(SETTLE_AT + 5):
        make_message(email=f"many{i}@example.com")
    assert Lead.objects.filter(count_pending=True).count() == SETTLE_AT + 5
    assert lead_status_counts() == {"new": SETTLE_AT + 5}
    assert not Lead.objects.filter(count_pending=True).exists()
    assert stored_counts() == {"new": SETTLE_AT + 5}


@pytest.mark.django_db(transaction=True)
def test_counts_stay_exact_under_concurrent_writes_and_settles():
    """Eight threads, each with its own connection to the suite's server, move the same leads between
    statuses, mark and clear spam, submit new leads and settle, all at once."""
    emails = [f"c{i}@example.com" for i in range(12)]
    for email in emails:
        make_message(email=email)
    statuses = [s for s in LeadStatus.values if s != LeadStatus.SPAM]

    def work(worker: int) -> None:
        rng = random.Random(worker)
        try:
            for step in range(25):
                lead = lead_of(rng.choice(emails))
                action = rng.randrange(5)
                if action == 0:
                    services.lead_spam_set(lead=lead, spam=rng.random() < 0.5)
                elif action == 1:
                    make_message(email=f"w{worker}-{step}@example.com")
                elif action == 2:
                    lead_counts_settle()
                else:
                    services.lead_status_change(lead=lead, status=rng.choice(statuses), at=timezone.now())
        finally:
            connection.close()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(work, range(8)))
    assert_counts_right()


@pytest.mark.django_db
def test_lead_counts_command_reports_and_repairs_drift():
    for i in range(3):
        make_message(email=f"r{i}@example.com")
    services.lead_status_change(lead=lead_of("r0@example.com"), status=LeadStatus.WON, at=timezone.now())
    lead_counts_settle()
    out = StringIO()
    call_command("lead_counts", stdout=out)
    assert "won        maintained       1  recount       1" in out.getvalue()

    # what a crash between a lead's write and its counts' write would leave on a server without transactions
    connection.get_collection(LeadStatusCount._meta.db_table).update_one({"_id": "new"}, {"$inc": {"n": 5}})
    with pytest.raises(CommandError, match="--repair"):
        call_command("lead_counts", stdout=StringIO())
    out = StringIO()
    call_command("lead_counts", "--repair", stdout=out)
    assert "new        was 7, now 2" in out.getvalue()
    assert stored_counts() == lead_counts_recount() == {"new": 2, "won": 1}
