"""The intent classifier's pure side: the seed data, training, cross-validation, the corrections' effect."""
from pathlib import Path

import pytest

from analytics.intent_model import (
    Example, IntentDataError, accuracy, corrections_simulate, cross_validate, model_dumps, model_loads, predict, read_seed_csv, train,
)

DATA = Path(__file__).resolve().parents[2] / "data"
INTENTS = {"project:web-design-development", "project:digital-marketing", "project:data-ai-insights",
           "partnership", "job_application", "existing_client", "other"}


@pytest.fixture(scope="module")
def seed() -> list[Example]:
    return read_seed_csv(DATA / "intent_seed.csv")


@pytest.fixture(scope="module")
def model(seed):
    return train(seed)


def test_the_seed_has_ten_to_twenty_hand_written_examples_of_each_intent_and_the_held_out_set_none_of_them(seed):
    counts = {intent: sum(e.intent == intent for e in seed) for intent in INTENTS}
    assert set(e.intent for e in seed) == INTENTS and all(10 <= n <= 20 for n in counts.values()), counts
    heldout = read_seed_csv(DATA / "intent_heldout.csv")
    assert set(e.intent for e in heldout) == INTENTS
    assert not {e.text for e in seed} & {e.text for e in heldout}


def test_seed_like_messages_get_their_intent(model):
    cases = {
        "Online shop\nWe want to sell our olive oil online with a proper shop and delivery across Portugal.": "project:web-design-development",
        "Google Ads\nOur Google Ads campaigns are expensive and bring few sales. Can you manage them?": "project:digital-marketing",
        "Forecasting\nWe would like a model that forecasts weekly demand for our stores.": "project:data-ai-insights",
        "Application\nI am a front-end developer and would like to join your team. My CV is attached.": "job_application",
        "White label\nWe are an offshore development company offering white label services to agencies at low rates.": "partnership",
        "Invoice\nWe received your invoice for the maintenance contract and the amount looks wrong.": "existing_client",
    }
    guesses = predict(model, list(cases))
    assert [intent for intent, _ in guesses] == list(cases.values())
    assert all(0 < probability <= 1 for _, probability in guesses)


def test_cross_validation_is_stratified_and_scores_only_the_seed(seed):
    always = [Example(text="Web design. Marketing sites and online shops.", intent="project:web-design-development")]
    result = cross_validate(seed, always=always, folds=5, seed=0)
    assert result["n"] == len(seed) and len(result["fold_accuracies"]) == 5
    assert result["accuracy"] >= 0.6
    assert result == cross_validate(seed, always=always, folds=5, seed=0)  # same data and seed, same figure


def test_corrections_simulation_scores_the_same_held_out_messages_before_and_after(seed):
    pool = read_seed_csv(DATA / "intent_heldout.csv")
    result = corrections_simulate(seed, pool, corrections=50, rounds=2, seed=0)
    assert result["scored_per_round"] == len(pool) - 50
    assert result["before"] >= 0.7 and result["after"] >= 0.7


def test_a_model_round_trips_through_bytes(model, seed):
    again = model_loads(model_dumps(model))
    assert accuracy(again, seed[:20]) == accuracy(model, seed[:20])


def test_bad_seed_files_are_clear_errors(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("label,text\nspam,hello\n")
    with pytest.raises(IntentDataError, match="intent,text"):
        read_seed_csv(bad)
    with pytest.raises(IntentDataError):
        read_seed_csv(tmp_path / "missing.csv")
    with pytest.raises(IntentDataError, match="two intents"):
        train([Example(text="a", intent="other")])


def test_the_web_and_the_triage_modules_import_no_scikit_learn():
    import os
    import subprocess
    import sys

    code = (
        "import django, sys; django.setup(); import maniva_webapp.urls, maniva_crm.routing, contact.triage, analytics.intent_scoring;"
        "heavy = [m for m in ('sklearn', 'joblib', 'scipy') if m in sys.modules]; assert not heavy, heavy"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "maniva_webapp.settings"}
    done = subprocess.run([sys.executable, "-c", code], cwd=DATA.parent, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
