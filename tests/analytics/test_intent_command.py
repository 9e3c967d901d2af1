"""`manage.py intent`: train, evaluate (its last line), suggest, and clear errors."""
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from analytics.intent import intent_model_latest
from analytics.intent_scoring import saved_intent_model


@pytest.mark.django_db
def test_train_stores_a_model_the_worker_uses_and_suggest_reads_it():
    out = StringIO()
    call_command("intent", "train", stdout=out)
    assert "3 service descriptions, 92 seed examples, 0 staff corrections" in out.getvalue()
    assert intent_model_latest()["intents"][0] == "existing_client"
    saved_intent_model.forget()
    out = StringIO()
    call_command("intent", "suggest", "I am a front-end developer and would like to join your team, CV attached.", stdout=out)
    assert out.getvalue().startswith("job_application ")


def test_evaluate_reports_the_seed_cross_validation_and_the_corrections(tmp_path):
    heldout = tmp_path / "heldout.csv"
    heldout.write_text("intent,text\n" + "".join(
        f"{intent},{text} {i}\n" for i in range(4) for intent, text in [
            ("job_application", "I would like to apply for a developer job"), ("other", "Where is your office"),
            ("partnership", "We offer white label development to agencies"), ("existing_client", "Please update the site you built for us"),
        ]
    ))
    out = StringIO()
    call_command("intent", "evaluate", "--heldout", str(heldout), "--corrections", "8", "--rounds", "2", stdout=out)
    last = out.getvalue().strip().splitlines()[-1]
    assert last.startswith("accuracy=0.728 before_corrections=") and "after_corrections=" in last
    with pytest.raises(CommandError, match="below the 16"):
        call_command("intent", "evaluate", "--heldout", str(heldout), "--corrections", "16", stdout=StringIO())
    bad = tmp_path / "bad.csv"
    bad.write_text("label,text\nspam,x\n")
    with pytest.raises(CommandError, match="intent,text"):
        call_command("intent", "evaluate", "--seed-csv", str(bad), stdout=StringIO())
