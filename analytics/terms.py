"""Distinctive terms by TF-IDF (1–2-grams, English stop words), overall and per group. No Django.

`TermMatrixBuilder` gives the same matrix as scikit-learn's `TfidfVectorizer(ngram_range=(1, 2),
stop_words="english", sublinear_tf=True)` with the token pattern below, but counts n-grams with
numpy instead of a Python loop per n-gram: about 3× faster, which the benchmark needs. It does not
import scikit-learn (the package's import alone costs about a second, a fifth of `analytics terms`
at 100k messages); a test holds it equal to `TfidfVectorizer`."""
import importlib.util
import re
import unicodedata
from array import array
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from analytics.ranking import ranked, rounded


def _english_stop_words() -> frozenset[str]:
    """scikit-learn's English stop words, loaded from their own module file: importing
    `sklearn.feature_extraction` would first import all of `sklearn` (scipy.stats among it)."""
    package = Path(importlib.util.find_spec("sklearn").origin).parent
    spec = importlib.util.spec_from_file_location("_sklearn_stop_words", package / "feature_extraction" / "_stop_words.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.ENGLISH_STOP_WORDS


ENGLISH_STOP_WORDS = _english_stop_words()

# Words of two or more letters: numbers, order ids and phone numbers say nothing about a topic.
TOKEN_RE = re.compile(r"(?u)\b[^\W\d_]{2,}\b")
# The same on lower-case ASCII text, where it runs twice as fast (most messages, once folded).
ASCII_TOKEN_RE = re.compile(r"\b[a-z]{2,}\b", re.ASCII)


def fold(text: str) -> str:
    text = text.lower()
    if text.isascii():
        return text
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


class TermMatrixBuilder:
    """Feed texts one at a time (streaming: only token ids are kept), then `build()`."""

    def __init__(self, *, stop_words: Iterable[str] = ENGLISH_STOP_WORDS) -> None:
        self._ids: defaultdict[str, int] = defaultdict()
        self._ids.default_factory = self._ids.__len__
        self._tokens = array("i")
        self._lengths = array("i")
        self._stop_words = frozenset(stop_words)

    def add(self, text: str) -> None:
        before = len(self._tokens)
        folded = fold(text or "")
        pattern = ASCII_TOKEN_RE if folded.isascii() else TOKEN_RE
        self._tokens.extend(map(self._ids.__getitem__, pattern.findall(folded)))
        self._lengths.append(len(self._tokens) - before)

    def __len__(self) -> int:
        return len(self._lengths)

    def build(self, *, min_df: int = 1) -> tuple[sp.csr_matrix, np.ndarray]:
        """(documents × terms TF-IDF, float32, rows l2-normalised; term names). Bigrams skip stop words."""
        n_docs = len(self._lengths)
        words = np.array(list(self._ids), dtype=object)
        n_words = len(words)
        tokens = np.frombuffer(self._tokens, dtype=np.int32) if len(self._tokens) else np.zeros(0, np.int32)
        docs = np.repeat(np.arange(n_docs, dtype=np.int32), np.frombuffer(self._lengths, dtype=np.int32)) if n_docs else np.zeros(0, np.int32)
        is_stop = np.fromiter((w in self._stop_words for w in words), dtype=bool, count=n_words)
        keep = ~is_stop[tokens] if n_words else np.zeros(0, bool)
        tokens, docs = tokens[keep], docs[keep]
        same_doc = docs[1:] == docs[:-1]
        bigram_codes = (tokens[:-1][same_doc].astype(np.int64) << 32) | tokens[1:][same_doc]
        bigram_docs = docs[:-1][same_doc]
        bigrams, bigram_cols = np.unique(bigram_codes, return_inverse=True)
        n_cols = n_words + len(bigrams)
        rows = np.concatenate([docs, bigram_docs])
        cols = np.concatenate([tokens, (n_words + bigram_cols.ravel()).astype(np.int32)])
        del tokens, docs, bigram_codes, bigram_docs, bigram_cols, same_doc, keep
        # COO -> CSR sums the repeated (document, term) pairs: the term counts.
        counts = sp.coo_matrix((np.ones(rows.size, dtype=np.float32), (rows, cols)), shape=(n_docs, n_cols)).tocsr()
        del rows, cols
        doc_freq = np.bincount(counts.indices, minlength=n_cols)
        kept = np.flatnonzero(doc_freq >= max(min_df, 1))
        names = np.empty(kept.size, dtype=object)
        is_word = kept < n_words
        names[is_word] = words[kept[is_word]]
        pairs = bigrams[kept[~is_word] - n_words]
        names[~is_word] = [f"{words[a]} {words[b]}" for a, b in zip((pairs >> 32).tolist(), (pairs & 0xFFFFFFFF).tolist())]
        # Ids by first sight depend on the order the texts came in; with the columns in alphabetical
        # order instead, each text's row (and every sum along it) is the same in any reading order.
        alphabetical = np.argsort(names, kind="stable")
        kept, names = kept[alphabetical], names[alphabetical]
        counts_matrix = counts[:, kept]
        counts_matrix.sort_indices()
        del counts
        if kept.size == 0:  # nothing but stop words and numbers
            return sp.csr_matrix((n_docs, 0), dtype=np.float32), names
        return _tfidf(counts_matrix), names


def _tfidf(counts: sp.csr_matrix) -> sp.csr_matrix:
    """`TfidfTransformer(sublinear_tf=True).fit_transform(counts)` as float32: 1 + log(tf), times the
    smoothed idf ln((1 + n) / (1 + df)) + 1, rows scaled to unit length."""
    n_docs, n_terms = counts.shape
    matrix = sp.csr_matrix(counts, dtype=np.float64, copy=True)
    np.log(matrix.data, out=matrix.data)
    matrix.data += 1.0
    doc_freq = np.bincount(matrix.indices, minlength=n_terms)
    matrix.data *= (np.log((1.0 + n_docs) / (1.0 + doc_freq)) + 1.0)[matrix.indices]
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    matrix.data /= np.repeat(norms, np.diff(matrix.indptr))
    return sp.csr_matrix(matrix, dtype=np.float32)


def tfidf_matrix(texts: Iterable[str], *, min_df: int = 1) -> tuple[sp.csr_matrix, np.ndarray]:
    builder = TermMatrixBuilder()
    for text in texts:
        builder.add(text)
    return builder.build(min_df=min_df)


def _ranked(scores: np.ndarray, doc_freq: np.ndarray, names: np.ndarray, top: int) -> list[dict]:
    """Best `top` positive scores; equal scores go by term (see `analytics.ranking`)."""
    scores = rounded(scores)  # shown as compared: equal shown scores are in alphabetical order
    best = ranked(scores, names, top=top, positive=True)
    return [{"term": str(names[i]), "score": float(scores[i]), "docs": int(doc_freq[i])} for i in best]


def distinctive_terms(
    matrix: sp.csr_matrix, names: np.ndarray, groups: dict[str, Sequence[str | None]] | None = None, *, top: int = 15
) -> dict:
    """Overall: highest mean TF-IDF. Per group value: mean TF-IDF inside the group minus outside it,
    so a term every group uses scores ~0 and a term only one group uses ranks first for that group."""
    n_docs = matrix.shape[0]
    if n_docs == 0 or matrix.shape[1] == 0:
        raise ValueError("no terms")
    # Sums of float32 weights taken in float64 are exact (or all but), whatever the row order; scipy's
    # `sum(dtype=float64)` would still add in float32. `indicator @ matrix` below adds in float64 too.
    totals = np.bincount(matrix.indices, weights=matrix.data, minlength=matrix.shape[1])
    doc_freq = np.bincount(matrix.indices, minlength=matrix.shape[1])
    result: dict = {
        "documents": int(n_docs),
        "vocabulary": int(matrix.shape[1]),
        "overall": _ranked(totals / n_docs, doc_freq, names, top),
    }
    present = matrix.copy()
    present.data[:] = 1
    for family, labels in (groups or {}).items():
        labels = np.asarray([label or "" for label in labels], dtype=object)
        values = sorted({label for label in labels if label})
        index = {value: i for i, value in enumerate(values)}
        rows = np.array([index.get(label, -1) for label in labels], dtype=np.int64)
        keep = rows >= 0
        indicator = sp.csr_matrix(
            (np.ones(int(keep.sum())), (rows[keep], np.flatnonzero(keep))), shape=(len(values), n_docs)
        )
        sums = (indicator @ matrix).toarray()
        dfs = (indicator @ present).toarray()
        sizes = np.asarray(indicator.sum(axis=1)).ravel()
        family_result = {}
        for value, i in index.items():
            inside = sums[i] / sizes[i]
            rest = n_docs - sizes[i]
            outside = (totals - sums[i]) / rest if rest else 0.0
            family_result[value] = {"messages": int(sizes[i]), "terms": _ranked(inside - outside, dfs[i], names, top)}
        result[family] = family_result
    return result
