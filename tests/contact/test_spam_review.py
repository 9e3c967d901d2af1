"""Three outcomes (issue 16): a message the model is sure about is held (nobody notified), one it is
unsure about is flagged for review (staff ARE notified, the inbox shows and filters it), the rest
goes through as before."""
import pytest
from django.core.management import call_command
from django.urls import reverse

from contact.models import Lead, Message, OutboxJob
from maniva_crm.services import lead_spam_mark
from tests.factories import form_data


class BandScorer:
    """Scores by keyword and says which cut-offs its scores mean, as the live model does."""

    def probability(self, text: str) -> float | None:
        return 0.95 if "prize" in text else 0.5 if "backlinks" in text else 0.05

    def thresholds(self) -> tuple[float, float]:
        return 0.9, 0.4


band_scorer = BandScorer()


@pytest.fixture
def banded(settings):
    settings.CONTACT_SPAM_SCORER = "tests.contact.test_spam_review.band_scorer"
    settings.CONTACT_SPAM_MODEL_THRESHOLD = None  # the scorer's own cut-offs
    settings.CONTACT_SPAM_REVIEW_THRESHOLD = None


def _post(client, **fields):
    response = client.post("/contact/", form_data(**fields))
    assert response.status_code == 302
    return Message.objects.get(email=fields["email"])


def test_an_unsure_message_reaches_staff_flagged_for_review(client, db, banded, smtp_server):
    unsure = _post(client, email="pitch@example.com", subject="Your rankings", message="We sell high quality backlinks for your site.")
    sure = _post(client, email="prize@example.com", subject="WINNER", message="Claim your prize now, you have been selected.")
    plain = _post(client, email="ana@example.com")

    assert (unsure.is_spam, unsure.spam_review, unsure.spam_score) == (False, True, 0.5)
    assert (sure.is_spam, sure.spam_review, sure.spam_reasons) == (True, False, ["model"])
    assert (plain.is_spam, plain.spam_review) == (False, False)
    assert Lead.objects.get(email="pitch@example.com").needs_review is True
    assert not OutboxJob.objects.filter(key__endswith=str(sure.pk)).exists()  # held: nobody is told

    call_command("run_worker", "--once", stdout=open("/dev/null", "w"))

    staff = [m for m in smtp_server.wait_for(4) if m["To"] == "team@maniva.test"]
    review = next(m for m in staff if "pitch" in m["Reply-To"])
    assert review["Subject"].startswith("[Needs review] New contact from Ana Souza: Your rankings")
    assert "Needs review: the spam filter was unsure" in review.get_payload(0).get_payload(decode=True).decode()
    other = next(m for m in staff if m["Reply-To"] == "ana@example.com")
    assert not other["Subject"].startswith("[Needs review]")


def test_the_settings_override_the_models_cut_offs(client, db, banded, settings):
    settings.CONTACT_SPAM_REVIEW_THRESHOLD = 0.6  # 0.5 is now below the band
    message = _post(client, email="pitch@example.com", subject="Links", message="We sell high quality backlinks for your site.")
    assert (message.is_spam, message.spam_review) == (False, False)


def test_the_inbox_filters_and_shows_leads_that_need_review(client, db, banded, sales_client, sales):
    _post(client, email="pitch@example.com", subject="Your rankings", message="We sell high quality backlinks for your site.")
    _post(client, email="prize@example.com", subject="WINNER", message="Claim your prize now, you have been selected.")
    _post(client, email="ana@example.com", subject="Bakery website")

    page = sales_client.get(reverse("crm:inbox"), {"spam": "review"}).content.decode()
    assert "Your rankings" in page and "needs review" in page
    assert "Bakery website" not in page and "WINNER" not in page
    everyone = sales_client.get(reverse("crm:inbox")).content.decode()
    assert "Bakery website" in everyone and everyone.count("needs review</span>") == 1

    lead = Lead.objects.get(email="pitch@example.com")
    lead_spam_mark(lead=lead, spam=False, actor=sales)  # staff decided: not spam
    assert Lead.objects.get(pk=lead.pk).needs_review is False
    assert "Your rankings" not in sales_client.get(reverse("crm:inbox"), {"spam": "review"}).content.decode()
