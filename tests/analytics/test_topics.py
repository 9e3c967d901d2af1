import pytest
from hypothesis import given, settings, strategies as st

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


def _assert_no_empty_or_duplicate_topics(result: dict) -> None:
    topics = result["topics"]
    assert topics and [t["id"] for t in topics] == list(range(len(topics)))
    assert all(t["terms"] and t["label"] == " / ".join(t["terms"][:3]) for t in topics)
    leading = [frozenset(t["terms"][:3]) for t in topics]
    assert len(set(leading)) == len(leading)
    assert sum(t["messages"] for t in topics) + result["unassigned"] == result["documents"]
    assert all(t["messages"] > 0 for t in topics)  # a topic no message went to is dropped
    for row in result["by_month"].values():
        assert len(row["counts"]) == len(topics) and sum(row["counts"]) <= row["messages"]
        assert row["shares"] == [count / row["messages"] for count in row["counts"]]
    assert [t["messages"] for t in topics] == sorted((t["messages"] for t in topics), reverse=True)
    for row in result["by_month"].values():
        assert len(row["shares"]) == len(topics)


def test_more_topics_asked_than_the_messages_hold_gives_no_empty_or_twin_topics():
    """Two themes asked for three topics: NMF leaves a weak twin of one theme (it was shown as
    "#2 0.0% search / ranking / seo"); it is merged, not listed."""
    texts = [f"A Shopify store with online payments, shop number {i}" for i in range(6)]
    texts += [f"Search ranking and SEO keywords for our clinic {i}" for i in range(6)]
    matrix, names = tfidf_matrix(texts)
    for n_topics in (2, 3, 6):
        result = topic_model(matrix, names, ["2026-03"] * 12, n_topics=n_topics, seed=0)
        _assert_no_empty_or_duplicate_topics(result)
        assert len(result["topics"]) == 2 and result["requested"] == n_topics
        assert [t["messages"] for t in result["topics"]] == [6, 6]
        # Equal weights inside each theme: terms in alphabetical order, topics of equal size by label.
        assert [t["label"] for t in result["topics"]] == ["clinic / keywords / keywords clinic", "number / online / online payments"]
        assert result["by_month"]["2026-03"]["shares"] == [0.5, 0.5]


@settings(max_examples=15, deadline=None)
@given(
    st.lists(st.lists(st.sampled_from((SEO + " " + SHOP + " hello").split()), min_size=1, max_size=6), min_size=8, max_size=40),
    st.integers(min_value=1, max_value=4),
    st.integers(min_value=0, max_value=3),
)
def test_topics_are_never_empty_or_twins(messages, n_topics, seed):
    matrix, names = tfidf_matrix(" ".join(words) for words in messages)
    result = topic_model(matrix, names, ["2026-01", "2026-02"] * (len(messages) // 2) + ["2026-01"] * (len(messages) % 2), n_topics=n_topics, seed=seed)
    _assert_no_empty_or_duplicate_topics(result)
