"""Spam model versions (issue 16): the live model scores a CSV without retraining, a retrain is
deployed only through the gate, every version is kept, one command rolls back."""
import csv
from io import StringIO
from itertools import product

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from analytics import model_store, retrain, spam_model
from analytics.scoring import live_refresh, loaded_model
from analytics.services import analytics_database
from tests.analytics.test_spam_model import HAM, SPAM

BUSINESSES = ["bakery", "clinic", "hotel", "gym", "school", "law firm", "café", "garage", "florist", "dentist"]
ASKS = ["Could you send a quote for a new website for our {b}?", "We'd like online booking for our {b}, when can we talk?",
        "Our {b} needs its shop redesigned before the summer, what would it cost?", "Please call me about SEO for our {b} next week."]
PRIZES = ["iPhone", "cruise", "voucher", "laptop", "car", "cash prize", "gift card", "holiday", "TV", "bitcoin bonus"]
LURES = ["WINNER!! Claim your free {p} now, click http://win.example", "URGENT your account is locked, verify now to get your {p}",
         "Cheap pills and a free {p}, no prescription, buy now", "Double your money: crypto giveaway with a free {p}, reply now"]
ENQUIRIES = [ask.format(b=b) for ask, b in product(ASKS, BUSINESSES)]
SCAMS = [lure.format(p=p) for lure, p in product(LURES, PRIZES)]


def run(*args: str) -> str:
    out = StringIO()
    call_command("analytics", *args, stdout=out)
    return out.getvalue()


def write_csv(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["label", "text"])
        writer.writerows(rows)
    return path


def bundle_bytes(texts, labels, *, hold=0.7, review=0.3) -> bytes:
    model, info = spam_model.train(texts, labels)
    return spam_model.model_bytes(model, info={**info, "hold_threshold": hold, "review_threshold": review})


def good_bytes() -> bytes:
    return bundle_bytes(ENQUIRIES + SCAMS, ["ham"] * len(ENQUIRIES) + ["spam"] * len(SCAMS))


def flipped_bytes() -> bytes:
    return bundle_bytes(ENQUIRIES + SCAMS, ["spam"] * len(ENQUIRIES) + ["ham"] * len(SCAMS))


@pytest.fixture
def store(db, model_path):
    """The database, as pymongo sees it, with no model versions stored (see model_path)."""
    return analytics_database()


@pytest.fixture
def labelled(make_message):
    """Staff labels: every enquiry ham and every scam spam (held-out ones included)."""
    def make(*, flip_training: bool = False):
        for texts, label, other in ((ENQUIRIES, "ham", "spam"), (SCAMS, "spam", "ham")):
            for text in texts:
                wrong = flip_training and not retrain.held_out(f"Hello\n{text}")
                make_message(text, subject="Hello", spam_label=other if wrong else label)
    return make


def test_evaluate_saved_scores_a_csv_with_the_live_model_without_retraining(store, model_path, tmp_path):
    model, info = spam_model.train(HAM + SPAM, ["ham"] * len(HAM) + ["spam"] * len(SPAM))
    spam_model.save_model(model_path, model, info={**info, "hold_threshold": 0.6, "review_threshold": 0.3})
    path = write_csv(tmp_path / "check.csv", [("ham", t) for t in HAM] + [("spam", t) for t in SPAM])

    out = run("spam", "--evaluate", str(path), "--saved").strip().splitlines()
    assert out[0].startswith(f"live model file {model_path}: 16 texts, 8 spam, 8 not spam")
    assert "(score >= 0.6000)" in out[-2] and "(score >= 0.3000)" in out[-3]
    assert out[-1].startswith("precision=") and " recall=" in out[-1] and " f1=" in out[-1]
    assert not list(store[model_store.VERSIONS].find())  # scoring stored and trained nothing

    version = model_store.version_add(data=flipped_bytes(), info={"hold_threshold": 0.6, "review_threshold": 0.3}, source="test", db=store)
    model_store.version_deploy(version, reason="test", db=store)
    first = run("spam", "--evaluate", str(path), "--saved").strip().splitlines()[0]
    assert first.startswith(f"live model v{version}: 16 texts")  # what MongoDB names live, at once


def test_evaluate_saved_without_any_model_is_a_clear_error(store, model_path, tmp_path):
    path = write_csv(tmp_path / "check.csv", [("ham", "hello there"), ("spam", "win now")])
    with pytest.raises(CommandError, match="no spam model"):
        run("spam", "--evaluate", str(path), "--saved")
    with pytest.raises(CommandError, match="--saved goes with --evaluate"):
        run("spam", "--saved")


def test_the_gate_refuses_a_worse_model_and_accepts_a_better_one(store):
    good = spam_model.load_model_bytes(good_bytes())
    worse = spam_model.load_model_bytes(flipped_bytes())
    texts = ENQUIRIES[::3] + SCAMS[::3]
    labels = ["ham"] * len(ENQUIRIES[::3]) + ["spam"] * len(SCAMS[::3])

    refused = retrain.gate(worse, good, texts, labels)
    accepted = retrain.gate(good, worse, texts, labels)

    assert not refused["passed"] and refused["candidate"]["flag"]["f1"] < refused["live"]["flag"]["f1"]
    assert accepted["passed"] and accepted["reason"] == "no worse than the live model on held-out labels"
    too_few = retrain.gate(good, worse, texts[:3], labels[:3])
    assert not too_few["passed"] and "fewer than" in too_few["reason"]


@pytest.fixture
def small_base(settings, tmp_path, model_path):
    """The day-one recipe on a small corpus (the real one takes minutes to fit)."""
    rows = [("ham", t) for t in HAM + ENQUIRIES[::4]] + [("spam", t) for t in SPAM + SCAMS[::4]]
    settings.SPAM_RETRAIN_CORPORA = {"small": str(write_csv(tmp_path / "base.csv", rows))}


def test_a_retrain_on_bad_labels_is_kept_but_not_deployed(store, labelled, small_base):
    live = model_store.version_add(data=good_bytes(), info={"labels_seen": 0}, source="test", db=store)
    model_store.version_deploy(live, reason="test", db=store)
    labelled(flip_training=True)  # the labels it trains on are wrong; the held-out ones are right

    doc = retrain.retrain(db=store, reason="test")

    assert doc["deployed"] is False and doc["gate"]["passed"] is False
    assert model_store.live_version(store) == live
    assert doc["gate"]["candidate"]["flag"]["f1"] < doc["gate"]["live"]["flag"]["f1"]
    assert [v["_id"] for v in model_store.versions_list(store)] == [doc["_id"], live]  # kept, with its metrics
    assert doc["metrics"]["split"] == "held-out staff labels"


def test_a_retrain_that_does_no_worse_is_deployed_and_every_process_sees_it(store, labelled, small_base):
    live = model_store.version_add(data=flipped_bytes(), info={"labels_seen": 0}, source="test", db=store)
    model_store.version_deploy(live, reason="test", db=store)
    assert live_refresh()["deployed_version"] == live
    labelled()

    doc = retrain.retrain(db=store, reason="test")

    assert doc["deployed"] is True and model_store.live_version(store) == doc["_id"]
    assert doc["staff_labels"] > 0 and doc["labels_seen"] == len(ENQUIRIES) + len(SCAMS)
    assert loaded_model()["deployed_version"] == live  # until this process re-checks
    assert live_refresh()["deployed_version"] == doc["_id"]


def test_retrain_is_due_after_enough_new_labels(store, labelled, settings, model_path):
    assert retrain.retrain_due(store) is None
    settings.SPAM_RETRAIN_AFTER_LABELS = 10
    labelled()
    assert retrain.retrain_due(store) == "labels"
    model_store.version_add(data=b"x", info={"labels_seen": retrain.labels_count(store)}, source="test", db=store)
    assert retrain.retrain_due(store) is None


def test_versions_are_listed_and_one_command_rolls_back(store, model_path):
    model_path.write_bytes(good_bytes())
    first = model_store.day_one_ensure(store)  # the shipped file, recorded as a version and live
    second = model_store.version_add(data=flipped_bytes(), info={}, source="staff-retrain", db=store)
    model_store.version_deploy(second, reason="test", db=store)

    listing = run("spam", "--versions")
    assert f"* v{second} staff-retrain" in listing and f"  v{first} day-one" in listing

    assert run("spam", "--rollback").startswith(f"spam model v{first} is live")
    assert model_store.live_version(store) == first
    assert run("spam", "--rollback", str(second)).startswith(f"spam model v{second} is live")
    with pytest.raises(CommandError, match="no spam model version 99"):
        run("spam", "--rollback", "99")
