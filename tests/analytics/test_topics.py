import pytest

from analytics.terms import tfidf_matrix
from analytics.topics import topic_model

SEO = "seo ranking google search keywords backlinks"
SHOP = "shop checkout payment cart products stripe"


def _corpus():
    texts, months = [], []
    for i in range(12):
        texts.append(f"{SEO} audit" if i % 2 else f"{SHOP} store")
        months.append("2026-01" if i < 6 else "2026-02")
    # February leans to shops
    texts += [f"{SHOP} store"] * 4
    months += ["2026-02"] * 4
    return texts, months


def test_two_clear_topics_are_found_with_labels_shares_and_trend():
    texts, months = _corpus()
    matrix, names = tfidf_matrix(texts)
    result = topic_model(matrix, names, months, n_topics=2, seed=1)
    seo_topics = [t for t in result["topics"] if set(t["terms"][:4]) & set(SEO.split())]
    shop_topics = [t for t in result["topics"] if set(t["terms"][:4]) & set(SHOP.split())]
    assert len(seo_topics) == len(shop_topics) == 1 and seo_topics != shop_topics
    shop = shop_topics[0]
    assert shop["label"].count(" / ") == 2
    assert shop["messages"] == 10 and shop["share"] == pytest.approx(10 / 16)
    jan, feb = result["by_month"]["2026-01"], result["by_month"]["2026-02"]
    assert feb["shares"][shop["id"]] > jan["shares"][shop["id"]]


def test_same_seed_same_topics():
    texts, months = _corpus()
    matrix, names = tfidf_matrix(texts)
    assert topic_model(matrix, names, months, n_topics=3, seed=5) == topic_model(matrix, names, months, n_topics=3, seed=5)


def test_too_few_messages():
    matrix, names = tfidf_matrix(["one text", "two texts"])
    with pytest.raises(ValueError, match="too few"):
        topic_model(matrix, names, n_topics=2)
