import numpy as np
from hypothesis import given, settings, strategies as st

from analytics.ranking import ranked, rounded
from analytics.terms import distinctive_terms, tfidf_matrix

NAMES = st.lists(st.text(alphabet="abcdefgh ", min_size=1, max_size=6), min_size=1, max_size=30, unique=True)


def test_rounding_merges_float_noise_and_keeps_real_differences():
    third = 1 / 3
    noisy = [third, third * (1 + 4e-16), third * (1 - 4e-16), (0.1 + 0.2) / 0.9]
    assert len(set(rounded(noisy).tolist())) == 1
    assert rounded([third])[0] != rounded([third * (1 + 1e-8)])[0]
    assert rounded([1e-17, -1e-17, 0.0]).tolist() == [0.0, 0.0, 0.0]


def test_ties_go_alphabetically_and_noise_does_not_break_them():
    names = ["shopify", "payments", "store", "online", "number", "shop"]
    scores = [0.3015113 * (1 + noise) for noise in (3e-16, 0, -2e-16, 1e-16, -1e-16, 0)]
    assert [names[i] for i in ranked(scores, names)] == sorted(names)
    names, scores = names + ["zebra"], scores + [0.31]
    assert [names[i] for i in ranked(scores, names, top=3)] == ["zebra", "number", "online"]


@given(names=NAMES, data=st.data())
def test_ranking_does_not_depend_on_input_order(names, data):
    # Few distinct scores, so most are tied; each copy carries its own last-bit noise.
    levels = data.draw(st.lists(st.sampled_from([0.0, 0.125, 1 / 3, 0.7]), min_size=len(names), max_size=len(names)))
    noise = data.draw(st.lists(st.sampled_from([-2e-16, 0.0, 2e-16]), min_size=len(names), max_size=len(names)))
    scores = [level * (1 + eps) for level, eps in zip(levels, noise)]
    top = data.draw(st.none() | st.integers(min_value=0, max_value=len(names) + 2))
    positive = data.draw(st.booleans())
    permutation = data.draw(st.permutations(range(len(names))))

    expected = [names[i] for i in ranked(scores, names, top=top, positive=positive)]
    shuffled = [names[i] for i in permutation], [scores[i] for i in permutation]
    got = [shuffled[0][i] for i in ranked(shuffled[1], shuffled[0], top=top, positive=positive)]
    assert got == expected
    by_level = dict(zip(names, levels))
    assert expected == sorted(expected, key=lambda name: (-by_level[name], name))
    candidates = [name for name in names if by_level[name] > 0 or not positive]
    assert len(expected) == (len(candidates) if top is None else min(top, len(candidates)))


CORPUS = (
    [("A Shopify store with online payments, shop number %d" % i, "won") for i in range(6)]
    + [("Search ranking and SEO keywords for our clinic %d" % i, "lost") for i in range(6)]
    + [("website website question", "new"), ("Shopify website theme please", "new")]
)


def test_the_notebooks_tied_terms_come_out_alphabetically():
    """Every term of the won messages weighs the same there: the list is alphabetical, not float noise."""
    matrix, names = tfidf_matrix(text for text, _ in CORPUS[:12])
    result = distinctive_terms(matrix, names, {"by_status": [status for _, status in CORPUS[:12]]}, top=6)
    assert [t["term"] for t in result["by_status"]["won"]["terms"]] == [
        "number", "online", "online payments", "payments", "payments shop", "shop",
    ]


WORDS = "alpha beta gamma delta epsilon zeta theta kappa lambda sigma".split()
MESSAGES = st.lists(
    st.tuples(st.lists(st.sampled_from(WORDS), min_size=1, max_size=5), st.sampled_from(["won", "lost", "new"])),
    min_size=20,
    max_size=120,
)


@settings(max_examples=40, deadline=None)
@given(messages=MESSAGES, data=st.data())
def test_distinctive_terms_do_not_depend_on_message_order(messages, data):
    """Many messages of few words: lots of exactly equal scores, reached through sums in different orders."""
    permutation = data.draw(st.permutations(range(len(messages))))
    texts, statuses = [" ".join(words) for words, _ in messages], [status for _, status in messages]
    reference = distinctive_terms(*tfidf_matrix(texts), {"by_status": statuses}, top=8)
    shuffled = distinctive_terms(*tfidf_matrix(texts[i] for i in permutation), {"by_status": [statuses[i] for i in permutation]}, top=8)
    assert shuffled == reference
    for group in [reference["overall"], *(g["terms"] for g in reference["by_status"].values())]:
        assert group == sorted(group, key=lambda t: (-t["score"], t["term"]))


@settings(max_examples=20, deadline=None)
@given(st.permutations(range(len(CORPUS))))
def test_the_term_matrix_is_the_same_up_to_row_order(permutation):
    """Columns are numbered alphabetically, so each message's row is bit-for-bit the same."""
    matrix, names = tfidf_matrix(text for text, _ in CORPUS)
    shuffled, shuffled_names = tfidf_matrix(CORPUS[i][0] for i in permutation)
    assert list(shuffled_names) == list(names)
    assert np.array_equal(shuffled.toarray(), matrix.toarray()[list(permutation)])
