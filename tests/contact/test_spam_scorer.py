"""The intake reaches the spam model only through the scorer interface (analytics.scoring.SpamScorer),
loaded on first use and bounded in time: importing contact loads no scikit-learn, and a slow or
failing scorer leaves the verdict to the rules."""
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from contact.models import Message
from tests.factories import form_data

ROOT = Path(__file__).resolve().parent.parent.parent
released = threading.Event()


class SlowScorer:
    def probability(self, text: str) -> float | None:
        released.wait(10)
        return 0.99


class FailingScorer:
    def probability(self, text: str) -> float | None:
        raise RuntimeError("the model broke")


class SureScorer:
    def probability(self, text: str) -> float | None:
        return 0.99 if "prize" in text else 0.01


slow_scorer, failing_scorer, sure_scorer = SlowScorer(), FailingScorer(), SureScorer()


def test_importing_contact_and_checking_the_project_loads_no_scikit_learn():
    code = (
        "import django, sys; django.setup(); import contact.views, contact.services, maniva_webapp.urls;"
        "from django.core.checks import run_checks; run_checks();"
        "heavy = [m for m in ('sklearn', 'joblib', 'scipy') if m in sys.modules]; assert not heavy, heavy"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "maniva_webapp.settings"}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


@pytest.mark.django_db
def test_a_scorer_behind_the_interface_decides_with_the_threshold(client, settings):
    settings.CONTACT_SPAM_SCORER = "tests.contact.test_spam_scorer.sure_scorer"
    settings.CONTACT_SPAM_MODEL_THRESHOLD = 0.5
    client.post("/contact/", form_data(email="ham@example.com"))
    client.post("/contact/", form_data(email="spam@example.com", message="Claim your prize now, you have been selected"))
    ham, spam = Message.objects.get(email="ham@example.com"), Message.objects.get(email="spam@example.com")
    assert (ham.is_spam, ham.spam_score, ham.spam_reasons) == (False, 0.01, [])
    assert (spam.is_spam, spam.spam_score, spam.spam_reasons) == (True, 1.0, ["model"])  # flagged: the score says so


@pytest.mark.django_db
def test_a_slow_scorer_is_given_up_after_the_timeout_and_logged(client, settings, caplog):
    settings.CONTACT_SPAM_SCORER = "tests.contact.test_spam_scorer.slow_scorer"
    settings.CONTACT_SPAM_SCORE_TIMEOUT_MS = 100
    released.clear()
    try:
        started = time.monotonic()
        response = client.post("/contact/", form_data())
        took = time.monotonic() - started
    finally:
        released.set()
    assert response.status_code == 302 and took < 3  # the scorer holds on for 10 s
    message = Message.objects.get()
    assert (message.is_spam, message.spam_score, message.spam_reasons) == (False, 0.0, [])
    assert "spam model took over 100 ms: verdict without its score" in caplog.text


@pytest.mark.django_db
def test_a_failing_scorer_leaves_the_verdict_to_the_rules_and_is_logged(client, settings, caplog):
    settings.CONTACT_SPAM_SCORER = "tests.contact.test_spam_scorer.failing_scorer"
    response = client.post("/contact/", form_data(website="https://seo-offers.example"))
    assert response.status_code == 302
    message = Message.objects.get()
    assert message.is_spam and message.spam_reasons == ["honeypot"]
    assert "spam model failed: verdict without its score" in caplog.text and "the model broke" in caplog.text


def test_warming_loads_the_saved_model_in_the_background(settings, tmp_path):
    from analytics import scoring, spam_model
    from contact.spam import scorer_warm
    from tests.analytics.test_spam_model import HAM, SPAM

    model, info = spam_model.train(HAM + SPAM, ["ham"] * len(HAM) + ["spam"] * len(SPAM))
    settings.ANALYTICS_MODEL_PATH = tmp_path / "spam_model.joblib"
    spam_model.save_model(settings.ANALYTICS_MODEL_PATH, model, info=info)
    scorer_warm()
    deadline = time.monotonic() + 30
    while str(settings.ANALYTICS_MODEL_PATH) not in scoring._cache and time.monotonic() < deadline:
        time.sleep(0.05)
    assert str(settings.ANALYTICS_MODEL_PATH) in scoring._cache
