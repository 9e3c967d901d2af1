import numpy as np
from hypothesis import given, strategies as st
from sklearn.feature_extraction.text import TfidfVectorizer

from analytics.terms import ASCII_TOKEN_RE, TOKEN_RE, distinctive_terms, fold, tfidf_matrix

CORPUS = [
    ("We want a Shopify store for our website", "won"),
    ("Shopify migration and a new website, please", "won"),
    ("Our website needs a Shopify theme", "won"),
    ("Cheap logo for our website?", "lost"),
    ("Just a logo and a website", "lost"),
    ("website website question", "new"),
]


def test_a_term_only_won_leads_use_ranks_first_for_won():
    matrix, names = tfidf_matrix(text for text, _ in CORPUS)
    result = distinctive_terms(matrix, names, {"by_status": [status for _, status in CORPUS]})
    assert result["by_status"]["won"]["terms"][0]["term"] == "shopify"
    assert result["by_status"]["won"]["terms"][0]["docs"] == 3
    assert result["by_status"]["lost"]["terms"][0]["term"] == "logo"
    assert result["by_status"]["won"]["messages"] == 3
    # A term every group uses is not distinctive of any of them.
    won_terms = [t["term"] for t in result["by_status"]["won"]["terms"]]
    assert "website" not in won_terms


def test_stop_words_numbers_and_accents():
    matrix, names = tfidf_matrix(["The café is open 24 hours", "Cafe open late"])
    assert "cafe" in names and "the" not in names and "24" not in names
    assert "cafe open" in names  # bigrams


def test_same_matrix_as_scikit_learns_vectorizer():
    texts = [text for text, _ in CORPUS] + ["Crème brûlée, 42 times!", "", "the and of"]
    matrix, names = tfidf_matrix(texts)
    reference = TfidfVectorizer(token_pattern=TOKEN_RE.pattern, stop_words="english", ngram_range=(1, 2), sublinear_tf=True, strip_accents="unicode")
    expected = reference.fit_transform(texts)
    order = np.argsort(names)
    assert list(names[order]) == list(reference.get_feature_names_out())
    assert np.allclose(matrix[:, order].toarray(), expected.toarray(), atol=1e-6)


def test_min_df_drops_terms_of_a_single_message():
    matrix, names = tfidf_matrix(["alpha beta", "alpha gamma"], min_df=2)
    assert list(names) == ["alpha"]
    assert matrix.shape == (2, 1)


def test_result_does_not_depend_on_the_order_messages_are_read_in():
    texts = [text for text, _ in CORPUS]
    statuses = [status for _, status in CORPUS]
    forward = distinctive_terms(*tfidf_matrix(texts), {"by_status": statuses})
    backward = distinctive_terms(*tfidf_matrix(texts[::-1]), {"by_status": statuses[::-1]})
    assert forward == backward


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=200))
def test_the_ascii_token_pattern_finds_what_the_unicode_one_does_on_folded_ascii(text):
    folded = fold(text)
    assert ASCII_TOKEN_RE.findall(folded) == TOKEN_RE.findall(folded)


def test_the_ascii_token_pattern_on_edge_cases():
    for text in ("covid19 a_b don't re-design x ab", "café → cafe", "__init__ hello_world 2fa mfa", "über straße"):
        folded = fold(text)
        if folded.isascii():
            assert ASCII_TOKEN_RE.findall(folded) == TOKEN_RE.findall(folded), text
