"""Topic model: NMF over TF-IDF, labelled by its top terms, with shares and a monthly trend. No Django."""
import warnings
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.decomposition import NMF
from sklearn.exceptions import ConvergenceWarning

MAX_FEATURES = 2000  # the most frequent terms carry the topics; the long tail only slows NMF down
FIT_SAMPLE = 10000  # topics are learnt on a seeded sample; every message is then assigned (cheap)


def topic_model(
    matrix: sp.csr_matrix,
    names: np.ndarray,
    months: Sequence[str | None] | None = None,
    *,
    n_topics: int = 8,
    seed: int = 0,
    top_terms: int = 8,
    max_features: int = MAX_FEATURES,
    fit_sample: int = FIT_SAMPLE,
) -> dict:
    n_docs = matrix.shape[0]
    if n_docs < 2 * n_topics:
        raise ValueError(f"{n_docs} messages are too few for {n_topics} topics")
    doc_freq = np.bincount(matrix.indices, minlength=matrix.shape[1])
    columns = np.sort(np.argsort(-doc_freq, kind="stable")[:max_features])
    X = matrix[:, columns].astype(np.float64)  # float32 rounding makes NMF's loss go NaN on tiny corpora
    terms = np.asarray(names)[columns]
    rng = np.random.default_rng(seed)
    sample = np.sort(rng.choice(n_docs, fit_sample, replace=False)) if n_docs > fit_sample else slice(None)
    model = NMF(n_components=n_topics, init="nndsvda", random_state=seed, max_iter=300, tol=1e-4)
    # A near-exact fit makes the loss a tiny negative number under rounding (sqrt -> NaN warning);
    # not converging in max_iter is reported in the result instead of warned about.
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X[sample])
    weights = model.transform(X)
    assigned = np.where(weights.max(axis=1) > 0, weights.argmax(axis=1), -1)
    topics = []
    for k, component in enumerate(model.components_):
        best = np.argsort(-component, kind="stable")[:top_terms]
        top = [str(terms[i]) for i in best if component[i] > 0]
        topics.append(
            {
                "id": k,
                "label": " / ".join(top[:3]),
                "terms": top,
                "messages": int((assigned == k).sum()),
                "share": float((assigned == k).mean()),
            }
        )
    result = {"documents": int(n_docs), "converged": bool(model.n_iter_ < model.max_iter), "unassigned": int((assigned < 0).sum()), "topics": topics, "by_month": {}}
    if months is not None:
        months = np.asarray([m or "" for m in months], dtype=object)
        for month in sorted({m for m in months if m}):
            mine = assigned[months == month]
            result["by_month"][month] = {
                "messages": int(mine.size),
                "shares": [float((mine == k).mean()) for k in range(n_topics)],
            }
    return result
