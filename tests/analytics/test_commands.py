import json
import logging
import warnings
from datetime import datetime, timezone
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from analytics import model_store
from analytics.scoring import live_refresh, spam_probability
from analytics.selectors import latest_report
from tests.analytics.test_spam_model import HAM, SPAM, write_csv


def run(*args) -> str:
    out = StringIO()
    call_command("analytics", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def when(month: int, day: int = 10) -> datetime:
    return datetime(2026, month, day, tzinfo=timezone.utc)


@pytest.fixture
def inbox(make_message):
    """Won leads ask for Shopify stores, lost ones for cheap logos; two months; one spam."""
    won = ["Shopify store for our bakery", "Moving our shop to Shopify", "Shopify theme tweaks", "Help with a Shopify checkout"]
    lost = ["Cheap logo please", "Logo and business cards", "A logo for our band", "Only a logo, nothing else"]
    for i in range(4):
        make_message(f"{won[i]} and the website", status="won", received_at=when(1, i + 1))
        make_message(f"{lost[i]} and the website", status="lost", kind="consultation", received_at=when(2, i + 1))
    make_message("Buy cheap pills casino casino", is_spam=True, received_at=when(2, 20))
    return make_message


@pytest.mark.parametrize("sub", ["lengths", "terms", "topics", "spam", "report"])
def test_help(sub):
    with pytest.raises(SystemExit) as exit_:
        call_command("analytics", sub, "--help", stdout=StringIO())
    assert exit_.value.code == 0


def test_lengths(inbox):
    out = run("lengths", "--format", "json")
    result = json.loads(out)
    assert result["counts"]["total"] == 9
    assert result["counts"]["by_kind"] == {"consultation": 4, "contact": 5}
    assert result["counts"]["by_month"] == {"2026-01": 4, "2026-02": 5}
    assert result["chars"]["by_spam"]["spam"]["n"] == 1
    assert result["words"]["all"]["min"] == 5  # "Buy cheap pills casino casino", "Cheap logo please and the website"
    assert "Message length in chars" in run("lengths")


def test_terms_ranks_what_won_leads_talk_about(inbox):
    result = json.loads(run("terms", "--format", "json"))
    assert result["documents"] == 8  # spam left out
    assert result["by_status"]["won"]["terms"][0]["term"] == "shopify"
    assert result["by_status"]["lost"]["terms"][0]["term"] == "logo"
    assert "website" not in [t["term"] for t in result["by_status"]["won"]["terms"]]
    assert set(result["by_month"]) == {"2026-01", "2026-02"}
    assert "status=won" in run("terms")


def test_since_until_window(inbox):
    result = json.loads(run("terms", "--format", "json", "--since", "2026-02-01", "--until", "2026-03-01"))
    assert result["documents"] == 4 and set(result["by_month"]) == {"2026-02"}


def test_too_few_messages_is_a_clear_error(make_message):
    make_message("only one")
    for sub in ("lengths", "terms"):
        with pytest.raises(CommandError, match="Too few messages"):
            run(sub, "--since", "2026-01-01")
    with pytest.raises(CommandError, match="Too few messages"):
        run("topics", "--topics", "3")


def test_topics_same_seed_same_output(inbox):
    first = run("topics", "--topics", "2", "--seed", "3", "--format", "json")
    assert first == run("topics", "--topics", "2", "--seed", "3", "--format", "json")
    assert len(json.loads(first)["topics"]) == 2


def test_spam_evaluate_prints_the_scores_last(tmp_path):
    path = write_csv(tmp_path / "mini.csv", [("ham", t) for t in HAM] + [("spam", t) for t in SPAM])
    last = run("spam", "--evaluate", str(path)).strip().splitlines()[-1]
    assert last.startswith("precision=") and " recall=" in last and " f1=" in last


def test_spam_train_on_staff_labels_and_seed_corpus_then_score(make_message, model_path, tmp_path):
    assert spam_probability("anything") is None  # no model yet
    for text in HAM[:4]:
        make_message(text, spam_label="ham")
    for text in SPAM[:4]:
        make_message(text, spam_label="spam", is_spam=True)
    make_message("unlabelled messages are not training data")
    corpus = write_csv(tmp_path / "seed.csv", [("ham", t) for t in HAM[4:]] + [("spam", t) for t in SPAM[4:]])
    out = run("spam", "--seed-corpus", str(corpus), "--seed", "1")
    assert "trained on 16 examples (8 staff labels)" in out and "stored and deployed as v1" in out  # no day-one file here
    assert out.strip().splitlines()[-1].startswith("precision=")
    assert model_store.live_version() == 1 and not model_path.exists()  # in MongoDB, not in a file
    live_refresh()  # what a web process does within CONTACT_SPAM_MODEL_RECHECK_SECONDS
    assert spam_probability("Claim your FREE prize now, click here") > 0.5
    assert spam_probability("A quote for our bakery website please") < 0.5


def test_spam_without_labels_is_an_error_that_names_the_seed_corpus(db, model_path):
    with pytest.raises(CommandError, match="at least") as error:
        run("spam")
    assert "python manage.py analytics spam --seed-corpus data/sms_spam_collection.csv" in str(error.value)
    assert model_store.live_version() is None


def test_spam_with_the_named_seed_corpus_trains(db, model_path, settings):
    """The command the error names works as written, from the project's root."""
    out = run("spam", "--seed-corpus", str(settings.BASE_DIR / "data" / "sms_spam_collection.csv"))
    assert "(0 staff labels)" in out and model_store.live_version() is not None


def test_report_is_stored_for_the_dashboard_and_written_as_html(inbox, model_path, tmp_path):
    assert latest_report() is None
    out = tmp_path / "report.html"
    assert "stored" in run("report", "--format", "html", "--out", str(out), "--topics", "2")
    html = out.read_text()
    assert "<img" in html and "data:image/svg+xml;base64," in html
    report = latest_report()
    assert {"created_at", "lengths", "terms", "topics", "spam", "charts", "counts"} <= set(report)
    assert {"lengths", "terms", "topics", "messages_per_month"} <= set(report["charts"])
    assert report["spam"]["model"] is None and report["spam"]["labelled"] == {"unlabelled": 9}
    assert report["spam"]["quality"] == [] and "No stored evaluation on real data" in html
    assert report["changes"]["month"] == "2026-02" and report["changes"]["baseline"] == ["2026-01"]
    assert report["terms"]["by_status"]["won"]["terms"][0]["term"] == "shopify"
    json.dumps(report)  # JSON-able as promised
    text = run("report", "--no-store", "--topics", "2")
    assert text.startswith("Analytics report") and "Topics (8 messages)" in text


def test_report_draws_its_charts_without_matplotlib_warnings(inbox, model_path, caplog):
    """Month labels such as "2026-01" given to matplotlib as bar positions made it guess their units
    and log "Using categorical units…" 18 times per report, printed by `analytics report`."""
    caplog.set_level(logging.DEBUG, logger="matplotlib.category")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run("report", "--no-store", "--topics", "2")
    assert [str(w.message) for w in caught] == []
    assert [r.getMessage() for r in caplog.records if r.name.startswith("matplotlib.category")] == []
