"""Topic model: NMF over TF-IDF, labelled by its top terms, with shares and a monthly trend. No Django."""
import warnings
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.decomposition import NMF
from sklearn.exceptions import ConvergenceWarning

from analytics.ranking import ranked, rounded

MAX_FEATURES = 2000  # the most frequent terms carry the topics; the long tail only slows NMF down
FIT_SAMPLE = 10000  # topics are learnt on a seeded sample; every message is then assigned (cheap)
LABEL_TERMS = 3  # a topic is labelled, and told apart from the others, by its leading terms
EMPTY = 1e-6  # a component weighing less than this share of the strongest one is no topic


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
    topics, merge = _topics(model.components_, terms, top_terms=top_terms)
    # A message goes to the topic it weighs most on; twins merged into one topic pool their weights.
    weights = rounded(model.transform(X) @ merge)
    assigned = np.where(weights.max(axis=1, initial=0.0) > 0, weights.argmax(axis=1) if topics else -1, -1)
    for k, topic in enumerate(topics):
        topic["messages"] = int((assigned == k).sum())
        topic["share"] = float((assigned == k).mean())
    # Shown biggest first (then by label); `id` is the topic's place in this list and in `shares`.
    # A topic no message went to (its messages all weigh more on another) is dropped: it says nothing.
    order = sorted(range(len(topics)), key=lambda k: (-topics[k]["messages"], topics[k]["label"]))
    order = [k for k in order if topics[k]["messages"] > 0]
    renumber = np.full(len(topics) + 1, -1)  # the last -1 maps an unassigned message (-1) to itself
    topics = [{**topics[k], "id": new} for new, k in enumerate(order)]
    renumber[order] = np.arange(len(order))
    assigned = renumber[assigned]
    result = {
        "documents": int(n_docs),
        "requested": int(n_topics),
        "converged": bool(model.n_iter_ < model.max_iter),
        "unassigned": int((assigned < 0).sum()),
        "topics": topics,
        "by_month": {},
    }
    if months is not None:
        months = np.asarray([m or "" for m in months], dtype=object)
        for month in sorted({m for m in months if m}):
            mine = assigned[months == month]
            result["by_month"][month] = {
                "messages": int(mine.size),
                "counts": [int((mine == k).sum()) for k in range(len(topics))],
                "shares": [float((mine == k).mean()) for k in range(len(topics))],
            }
    return result


def _topics(components: np.ndarray, terms: np.ndarray, *, top_terms: int) -> tuple[list[dict], np.ndarray]:
    """The topics worth showing, and a (components × topics) 0/1 matrix saying which component went
    into which. NMF asked for more topics than the messages hold leaves components with no weight
    (dropped), or splits one theme into twins with the same leading terms: shown twice they read as
    one, so a twin is merged into the stronger component. Terms go by weight, ties by term."""
    strength = rounded(components.sum(axis=1))
    topics: list[dict] = []
    by_leading_terms: dict[frozenset[str], int] = {}
    columns: list[np.ndarray] = []
    floor = EMPTY * strength.max(initial=0.0)
    for k in sorted(range(components.shape[0]), key=lambda k: (-strength[k], k)):
        top = [str(terms[i]) for i in ranked(components[k], terms, top=top_terms, positive=True)]
        if not top or strength[k] <= floor:
            continue
        key = frozenset(top[:LABEL_TERMS])
        if key not in by_leading_terms:
            by_leading_terms[key] = len(topics)
            topics.append({"id": len(topics), "label": " / ".join(top[:LABEL_TERMS]), "terms": top})
            columns.append(np.zeros(components.shape[0]))
        columns[by_leading_terms[key]][k] = 1.0
    merge = np.column_stack(columns) if columns else np.zeros((components.shape[0], 0))
    return topics, merge
