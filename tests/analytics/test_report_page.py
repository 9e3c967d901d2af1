"""The report people read: branded charts with titles, axes in words and a caption; terms with
scores; what changed this month, on constructed data; quality figures only with their sample size."""
import base64
import re
from datetime import datetime, timezone
from html import unescape
from io import StringIO

import pytest
from django.core.management import call_command

from analytics import analyses, changes
from analytics.brand import Brand, brand_load
from analytics.terms import tfidf_matrix


def svg_of(data_uri: str) -> str:
    assert data_uri.startswith("data:image/svg+xml;base64,")
    return base64.b64decode(data_uri.split(",", 1)[1]).decode("utf-8")


def svg_texts(svg: str) -> str:
    return " ".join(unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg))


# ---- what changed this month, on constructed data ----

def corpus(per_month: dict[str, list[str]]) -> tuple:
    months, texts = [], []
    for month, messages in per_month.items():
        months += [month] * len(messages)
        texts += messages
    matrix, names = tfidf_matrix(texts)
    return matrix, names, months


def filler(n: int, word: str = "hello") -> list[str]:
    return [f"{word} regards" for _ in range(n)]


def test_a_term_many_write_about_this_month_emerges_a_steady_one_does_not():
    matrix, names, months = corpus({
        "2025-12": ["chatbot pilot"] * 40 + filler(60),  # before the baseline: does not count
        "2026-01": ["website redesign"] * 10 + filler(90),
        "2026-02": ["website redesign"] * 10 + ["chatbot pilot"] + filler(89),
        "2026-03": ["website redesign"] * 10 + filler(90),
        "2026-04": ["chatbot pilot"] * 10 + ["website redesign"] * 5 + ["quantum"] * 4 + filler(31),
    })
    result = changes.month_changes(matrix, names, months)
    assert result["month"] == "2026-04" and result["baseline"] == ["2026-01", "2026-02", "2026-03"]
    assert result["messages"] == 50 and result["baseline_messages"] == 300
    found = {item["name"]: item for item in result["terms"]}
    # chatbot: 10 of 50 this month (20%) against 1 of 300; lift = 0.2 / ((1 + 1) / 301) = 30.1
    assert found["chatbot"]["count"] == 10 and found["chatbot"]["before"] == 1 and found["chatbot"]["lift"] == pytest.approx(30.1)
    assert {"chatbot", "chatbot pilot"} <= set(found)
    assert "website" not in found and "redesign" not in found  # 10% now, 10% before: lift 0.97
    assert "quantum" not in found  # new, but in 4 messages only (fewer than MIN_COUNT)
    assert [item["name"] for item in result["terms"]] == ["chatbot", "chatbot pilot", "pilot"]  # equal lifts: by name


def test_emerging_ranks_by_lift_then_count_then_name_and_needs_a_baseline():
    this = {"b": 10, "a": 10, "c": 20, "d": 6, "e": 3}
    before = {"c": 1}
    found = changes.emerging(this, 100, before, 99, min_count=5, min_share=0.05, min_lift=2.0)
    # a, b: 0.1 / (1/100) = 10; c: 0.2 / (2/100) = 10 but more messages; d: 0.06 / 0.01 = 6; e: under the floor
    assert [item["name"] for item in found] == ["c", "a", "b", "d"]
    assert changes.emerging(this, 100, {}, 0) == []
    matrix, names, months = corpus({"2026-04": ["chatbot pilot"] * 10})
    assert changes.month_changes(matrix, names, months) is None  # one month: nothing to compare with


def test_a_topic_that_grows_emerges():
    matrix, names, months = corpus({"2026-02": filler(10), "2026-03": filler(10)})
    topics = {
        "topics": [{"id": 0, "label": "website / redesign / shop"}, {"id": 1, "label": "ai / chatbot / assistant"}],
        "by_month": {
            "2026-02": {"messages": 100, "counts": [90, 10]},
            "2026-03": {"messages": 100, "counts": [60, 40]},
        },
    }
    result = changes.month_changes(matrix, names, months, topics)
    assert [item["name"] for item in result["topics"]] == ["ai / chatbot / assistant"]
    assert result["topics"][0]["count"] == 40 and result["topics"][0]["before"] == 10
    assert result["topics"][0]["lift"] == pytest.approx(0.4 / (11 / 101))


# ---- quality figures ----

def test_quality_figures_only_with_their_sample_size():
    assert analyses.model_quality(None) == []
    assert analyses.model_quality({"metrics": {"precision": 0.9, "recall": 0.8, "f1": 0.85}}) == []  # no sample size: left out
    info = {
        "version": 1, "staff_labels": 12, "seed_corpus": "data/sms_spam_collection.csv",
        "metrics": {"precision": 0.98, "recall": 0.95, "f1": 0.96, "folds": 5, "examples": 5172, "spam": 650},
        "evaluations": [{"model": "spam model v1", "method": "held-out test set", "data": "enron", "n": 800, "positives": 300,
                         "precision": 0.9, "recall": 0.7, "f1": 0.79}, {"model": "x", "method": "y", "data": "z"}],
    }
    entries = analyses.model_quality(info)
    assert [(e["method"], e["n"]) for e in entries] == [("5-fold cross-validation on its training data", 5172), ("held-out test set", 800)]
    assert entries[0]["data"] == "12 staff labels + the corpus data/sms_spam_collection.csv" and entries[0]["positives"] == 650


# ---- the rendered report ----

@pytest.fixture
def two_months(make_message):
    for i in range(12):
        make_message(f"We need a new website and an online shop for our bakery, number {i}", status="won",
                     received_at=datetime(2026, 1, i + 1, tzinfo=timezone.utc))
        make_message(f"Could an AI chatbot answer our customers? Asking about the chatbot {i}", status="new",
                     received_at=datetime(2026, 2, i + 1, tzinfo=timezone.utc))
    return make_message


def test_every_chart_has_a_title_axes_in_words_and_a_caption_in_the_brand(two_months, model_path, tmp_path):
    out = tmp_path / "report.html"
    call_command("analytics", "report", "--format", "html", "--out", str(out), "--topics", "2", "--no-store", stdout=StringIO())
    page = out.read_text()
    brand = brand_load(css_paths=["static/css/site.css", "static/vendor/bootstrap/bootstrap.min.css"], content_path="content/site.toml")
    assert brand.primary == "#0b6b4b" and brand.font_family.startswith("system-ui") and brand.name == "Maniva Digital"
    assert f"background: {brand.primary}" in page and f"font-family: {brand.font_family}" in page
    assert "<h1>Maniva Digital: analytics report</h1>" in page
    figures = re.findall(r'<figure id="chart-([\w]+)"><h3>([^<]+)</h3><img src="([^"]+)" alt="[^"]*"><figcaption>([^<]+)</figcaption>', page)
    assert {name for name, *_ in figures} == {"messages_per_month", "lengths", "terms", "topics", "topic_trend"}
    for name, title, image, caption in figures:
        caption = unescape(caption)
        assert caption.endswith(".") and caption.count(". ") == 0 and len(caption.split()) >= 8, caption  # one sentence
        svg = svg_of(unescape(image))
        texts = svg_texts(svg)
        assert unescape(title) in texts
        assert brand.primary in svg and "system-ui" in svg and "DejaVu" not in svg
    axes = {name: svg_texts(svg_of(unescape(image))) for name, _, image, _ in figures}
    assert "Month received" in axes["messages_per_month"] and "Messages" in axes["messages_per_month"]
    assert "Length of the message (characters)" in axes["lengths"] and "Share of messages per character" in axes["lengths"]
    assert "Mean TF-IDF weight" in axes["terms"] and "Term" in axes["terms"]
    assert "Share of messages (%)" in axes["topics"] and "Topic (its three leading terms)" in axes["topics"]
    assert "Share of the month's messages (%)" in axes["topic_trend"]
    # terms come with their scores: in the chart, in the table, in the text
    assert re.search(r"0\.\d{3}", axes["terms"])
    assert re.search(r"<tr><td>chatbot</td><td class=num>0\.\d{4}</td><td class=num>12</td></tr>", page)
    # what changed: February's chatbot against January
    section = page.split('<section id="changes">')[1].split("</section>")[0]
    assert "2026-02 (12 messages) against 2026-01 (12 messages)" in section
    assert "<td>chatbot</td><td class=num>12</td><td class=num>100.0%</td><td class=num>0</td>" in section


def test_the_text_report_lists_terms_with_scores_and_what_changed(two_months, model_path):
    out = StringIO()
    call_command("analytics", "report", "--no-store", "--topics", "2", stdout=out)
    text = out.getvalue()
    assert re.search(r"overall: \w[\w ]* \(0\.\d{3}\)", text)
    assert "What changed this month: 2026-02 (12 messages) against 2026-01 (12 messages)" in text
    assert re.search(r"chatbot: 12 messages \(100\.0%\) against 0 \(0\.0%\), lift 13\.0", text)
    assert "Model quality (on real corpora and staff labels only, with the sample size):\n  no stored evaluation" in text


def test_brand_from_another_stylesheet_and_content(tmp_path):
    css = tmp_path / "site.css"
    css.write_text(':root { --mv-brand: #123456; --mv-accent: #abcdef; }\n[data-bs-theme="dark"] { --mv-brand: #ffffff; }\n', encoding="utf-8")
    content = tmp_path / "site.toml"
    content.write_text('[company]\nname = "Acme & Co"\n', encoding="utf-8")
    brand = brand_load(css_paths=[css, tmp_path / "missing.css"], content_path=content)
    assert (brand.primary, brand.accent, brand.name) == ("#123456", "#abcdef", "Acme & Co")  # the light theme's value
    assert brand.strong == Brand().strong and brand.font_family == Brand().font_family  # missing: the default
