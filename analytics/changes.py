"""What changed this month: terms and topics that emerged, against the months before. No Django.

Definitions (the report prints them beside the figures):
- *this month* is the latest calendar month (UTC) in the window that has messages; it may be a
  month still running, which is why shares are compared, not counts;
- the *baseline* is the up to BASELINE_MONTHS calendar months with messages just before it, pooled;
- a term's or topic's *share* in a period is the messages that contain the term (or are assigned
  to the topic) divided by the messages of that period;
- its *lift* is the share this month divided by the baseline share smoothed by one message,
  (before + 1) / (baseline messages + 1), so something never seen before gets a finite lift that
  grows with the evidence instead of an infinite one from a single message;
- it is *emerging* when at least MIN_COUNT messages, and at least MIN_SHARE of this month's
  messages, have it, and its lift is at least TERM_LIFT (terms) or TOPIC_LIFT (topics, which are
  broader). Listed by lift, then by count this month, then by name. (The share floor keeps a
  phrase a handful of people happened to write from drowning out a theme many wrote about.)"""
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from analytics.ranking import rounded

BASELINE_MONTHS = 3
MIN_COUNT = 5
MIN_SHARE = 0.02
TERM_LIFT = 2.0
TOPIC_LIFT = 1.5
TOP = 10


def emerging(
    this: dict[str, int], n_this: int, before: dict[str, int], n_before: int, *, min_count: int = MIN_COUNT, min_share: float = MIN_SHARE,
    min_lift: float = TERM_LIFT, top: int = TOP,
) -> list[dict]:
    """Items (name → count of messages) of this period that emerged against the baseline's counts."""
    if n_this <= 0 or n_before <= 0:
        return []
    found = []
    for name, count in this.items():
        if count < min_count or count < min_share * n_this:
            continue
        earlier = before.get(name, 0)
        share = count / n_this
        lift = float(rounded([share / ((earlier + 1) / (n_before + 1))])[0])
        if lift >= min_lift:
            found.append({"name": name, "count": int(count), "share": share, "before": int(earlier),
                          "before_share": earlier / n_before, "lift": lift})
    found.sort(key=lambda item: (-item["lift"], -item["count"], item["name"]))
    return found[:top]


def periods(months: Sequence[str], *, baseline_months: int = BASELINE_MONTHS) -> tuple[str, list[str]] | None:
    """(this month, the baseline months, oldest first), or None when there is no earlier month."""
    known = sorted({m for m in months if m and m != "unknown"})
    if len(known) < 2:
        return None
    return known[-1], known[-1 - baseline_months : -1]


def month_changes(
    matrix: sp.csr_matrix, names: np.ndarray, months: Sequence[str], topics: dict | None = None, *, top: int = TOP
) -> dict | None:
    """Emerging terms (from the TF-IDF matrix: a term counts once per message that has it) and
    emerging topics (from `topic_model`'s monthly counts) of the latest month, or None without an
    earlier month to compare with."""
    span = periods(months)
    if span is None:
        return None
    month, baseline = span
    labels = np.asarray([m or "" for m in months], dtype=object)
    in_month = labels == month
    in_baseline = np.isin(labels, baseline)
    matrix = sp.csr_matrix(matrix)
    # Messages that have each term: its column's stored entries among the period's rows.
    counts = np.vstack([np.bincount(matrix[rows].indices, minlength=matrix.shape[1]) for rows in (in_month, in_baseline)])
    n_this, n_before = int(in_month.sum()), int(in_baseline.sum())
    candidates = np.flatnonzero(counts[0] >= max(MIN_COUNT, MIN_SHARE * n_this))
    term_counts = {str(names[i]): int(counts[0, i]) for i in candidates}
    before_counts = {str(names[i]): int(counts[1, i]) for i in candidates}
    result = {
        "month": month,
        "baseline": baseline,
        "messages": n_this,
        "baseline_messages": n_before,
        "rules": {"min_count": MIN_COUNT, "min_share": MIN_SHARE, "term_lift": TERM_LIFT, "topic_lift": TOPIC_LIFT, "baseline_months": BASELINE_MONTHS},
        "terms": emerging(term_counts, n_this, before_counts, n_before, min_lift=TERM_LIFT, top=top),
        "topics": [],
    }
    if topics and topics.get("topics"):
        rows = topics["by_month"]
        labels_of = [t["label"] for t in topics["topics"]]
        this_topics = dict(zip(labels_of, rows.get(month, {}).get("counts", [0] * len(labels_of))))
        before_topics = {label: sum(rows.get(m, {}).get("counts", [0] * len(labels_of))[k] for m in baseline) for k, label in enumerate(labels_of)}
        n_topic_this = rows.get(month, {}).get("messages", 0)
        n_topic_before = sum(rows.get(m, {}).get("messages", 0) for m in baseline)
        result["topics"] = emerging(this_topics, n_topic_this, before_topics, n_topic_before, min_lift=TOPIC_LIFT, top=top)
    return result
