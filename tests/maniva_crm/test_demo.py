"""The demo data: believable enquiries per intent, spam genres, languages, lengths; repeatable."""
import re
import statistics
from collections import Counter

import pytest
from django.core.management import call_command

from contact.models import Lead, Message
from maniva_crm import demo_text
from maniva_crm.demo import demo_seed

SAMPLE = 4000


@pytest.fixture(scope="module")
def sample() -> list[demo_text.DemoMessage]:
    return demo_text.demo_messages(SAMPLE, seed=11)


def test_same_seed_same_messages_another_seed_others(sample):
    again = demo_text.demo_messages(SAMPLE, seed=11)
    assert [(m.subject, m.text) for m in again] == [(m.subject, m.text) for m in sample]
    other = demo_text.demo_messages(200, seed=12)
    assert [m.text for m in other] != [m.text for m in sample[:200]]


def test_every_intent_and_spam_genre_in_a_believable_share(sample):
    intents = Counter(m.persona.intent for m in sample)
    assert set(intents) == {*demo_text.INTENTS, "spam"}
    for intent in demo_text.INTENTS:
        assert 0.05 <= intents[intent] / SAMPLE <= 0.45, intents  # none missing, none swamping the rest
    assert 0.15 <= intents["spam"] / SAMPLE <= 0.3
    genres = Counter(m.persona.genre for m in sample if m.persona.is_spam)
    assert set(genres) == set(demo_text.SPAM_GENRES) and min(genres.values()) >= 0.1 * intents["spam"]
    services = Counter(m.persona.service for m in sample if m.persona.intent == "new_project")
    assert set(services) == set(demo_text.SERVICES) and min(services.values()) >= 0.2 * intents["new_project"]


def test_a_few_languages_english_first(sample):
    languages = Counter(m.persona.language for m in sample)
    assert set(languages) == set(demo_text.LANGUAGES)
    assert languages.most_common(1)[0][0] == "en" and all(n >= 0.03 * SAMPLE for n in languages.values())
    # the text is in its persona's language, not English with a foreign flag
    german = [m.text for m in sample if m.persona.language == "de"]
    assert sum(bool(re.search(r"\b(wir|Sie|und|Ihnen)\b", text)) for text in german) >= 0.9 * len(german)


def test_lengths_of_real_form_messages_and_no_word_salad(sample):
    chars = [len(m.text) for m in sample]
    words = [len(m.text.split()) for m in sample]
    assert min(chars) >= 60 and max(chars) <= 5000  # the form's limit
    assert 150 <= statistics.median(chars) <= 800 and 25 <= statistics.median(words) <= 150
    assert len({m.text for m in sample}) >= 0.95 * SAMPLE  # composed, not copied
    for m in sample:
        assert "{" not in m.text + m.subject, m.text  # every slot filled
        assert m.text.rstrip()[-1] not in ",;" and m.subject and len(m.subject) <= 200
    # sentences, not a bag of words: most messages greet or sign off like people do
    english = [m.text for m in sample if m.persona.language == "en" and not m.persona.is_spam]
    assert sum(text.startswith(("Hello", "Hi", "Good morning", "Dear")) for text in english) >= 0.6 * len(english)


def test_spam_reads_like_its_genre(sample):
    words = {
        "seo_pitch": ("seo", "google", "rank"), "web_design_pitch": ("website", "design", "app"),
        "link_sales": ("guest post", "link", "article", "sponsored"), "crypto": ("bitcoin", "crypto", "usdt", "deposit", "trading"),
        "phishing": ("domain", "verify", "invoice", "suspended", "account", "payment"),
    }
    for m in sample:
        if m.persona.is_spam and m.persona.language == "en":
            assert any(w in (m.subject + " " + m.text).lower() for w in words[m.persona.genre]), m.text


def test_emerging_themes_only_at_the_end_of_the_year():
    rng_early = demo_text.demo_messages(3000, seed=3)
    early, late = rng_early[: len(rng_early) * 4 // 5], rng_early[-len(rng_early) // 10 :]
    mentions = lambda messages: sum("AI chatbot" in m.text or "accessibility act" in m.text.lower() for m in messages)  # noqa: E731
    assert mentions(early) == 0 and mentions(late) >= 10


def test_services_follow_the_site_content(tmp_path):
    content = tmp_path / "site.toml"
    content.write_text('[services]\n[[services.items]]\nicon = "data"\ntitle = "Data"\n', encoding="utf-8")
    assert demo_text.site_services(content) == ("data",)
    assert demo_text.site_services(tmp_path / "missing.toml") == demo_text.SERVICES
    messages = demo_text.demo_messages(300, seed=1, services=demo_text.site_services(content))
    assert {m.persona.service for m in messages if m.persona.intent == "new_project"} == {"data"}


@pytest.mark.django_db
def test_seed_demo_stores_personas_in_their_languages_and_flags_most_spam():
    demo_seed(messages=400, seed=5)
    messages = list(Message.objects.values("locale", "message", "is_spam", "lead_id", "kind", "topic", "budget"))
    assert {m["locale"] for m in messages} == set(demo_text.LANGUAGES)
    assert all(m["message"] and "{" not in m["message"] for m in messages)
    flagged = Lead.objects.filter(is_spam=True)
    assert flagged.exists() and set(flagged.values_list("status", flat=True)) == {"spam"}
    assert 0.1 <= sum(m["is_spam"] for m in messages) / len(messages) <= 0.45
    consultations = [m for m in messages if m["kind"] == "consultation"]
    assert consultations and all(m["topic"] in ("web", "marketing", "data", "other") for m in consultations)
    # one person, one language: every lead's messages share their locale
    locales: dict = {}
    for m in messages:
        locales.setdefault(m["lead_id"], set()).add(m["locale"])
    assert all(len(found) == 1 for found in locales.values())


@pytest.mark.django_db
def test_seed_demo_same_seed_same_texts():
    def texts(run_prefix: str) -> list[tuple[str, str]]:
        rows = Message.objects.filter(idempotency_key__startswith=run_prefix).values_list("idempotency_key", "subject", "message")
        return [(s, m) for _, s, m in sorted(rows, key=lambda row: int(row[0].rsplit(":", 1)[1]))]

    demo_seed(messages=60, seed=9)
    demo_seed(messages=60, seed=9)
    runs = sorted({key.rsplit(":", 1)[0] for key in Message.objects.values_list("idempotency_key", flat=True)})
    assert len(runs) == 2
    assert texts(runs[0] + ":") == texts(runs[1] + ":")


def test_seed_demo_command_still_takes_messages_and_seed(capsys):
    with pytest.raises(SystemExit):
        call_command("seed_demo", "--help")
    out = capsys.readouterr().out
    assert "--messages" in out and "--seed" in out
