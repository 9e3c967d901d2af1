"""Distribution of message lengths: histogram, percentiles, kernel density, exceedance. No Django."""
from collections import defaultdict
from collections.abc import Iterable, Sequence

import numpy as np
from scipy.stats import gaussian_kde

PERCENTILES = (5, 25, 50, 75, 90, 95, 99)
CHAR_THRESHOLDS = (100, 250, 500, 1000, 2000)
WORD_THRESHOLDS = (20, 50, 100, 200, 400)


def length_summary(
    values: Sequence[float],
    counts: Sequence[int] | None = None,
    *,
    thresholds: Sequence[int] = CHAR_THRESHOLDS,
    bins: int = 20,
    kde_points: int = 100,
) -> dict:
    """Summary of one sample of lengths, given as values or as distinct values with their counts (what
    a `$group` by length returns). `p_exceeds[t]` is P(length > t) counted, `p_exceeds_kde` smoothed."""
    distinct = np.asarray(values, dtype=float)
    weights = np.ones(distinct.size) if counts is None else np.asarray(counts, dtype=float)
    data = np.repeat(distinct, weights.astype(np.int64))
    if data.size == 0:
        raise ValueError("no lengths to summarise")
    counts, edges = np.histogram(data, bins=bins)
    summary = {
        "n": int(data.size),
        "mean": float(data.mean()),
        "std": float(data.std()),
        "min": float(data.min()),
        "max": float(data.max()),
        "percentiles": {str(p): float(v) for p, v in zip(PERCENTILES, np.percentile(data, PERCENTILES))},
        "histogram": {"counts": counts.tolist(), "edges": edges.tolist()},
        "p_exceeds": {str(t): float((data > t).mean()) for t in thresholds},
        "kde": None,
        "p_exceeds_kde": None,
    }
    # A density needs at least two distinct values; a constant sample has none.
    if data.size >= 2 and np.ptp(data) > 0:
        # Weighted on the distinct values, with Scott's factor for the full sample: the same density
        # as on every message, at the cost of the distinct values only.
        # (Scott's factor n^-1/5, rescaled because weighted covariance corrects bias by 1 - Σw², not 1 - 1/n.)
        w = weights / weights.sum()
        factor = data.size**-0.2 * np.sqrt((1 - np.sum(w**2)) / (1 - 1 / data.size))
        kde = gaussian_kde(distinct, weights=w, bw_method=factor)
        grid = np.linspace(max(0.0, data.min() - 3 * kde.factor * data.std()), data.max(), kde_points)
        summary["kde"] = {"x": grid.tolist(), "density": kde(grid).tolist()}
        summary["p_exceeds_kde"] = {str(t): float(kde.integrate_box_1d(t, np.inf)) for t in thresholds}
    return summary


def length_report(chars: Iterable[tuple[int, str, bool, int]], words: Iterable[tuple[int, str, bool, int]], *, bins: int = 20) -> dict:
    """`chars` and `words` rows are (length, kind, is_spam, number of messages); summaries overall,
    by kind and by spam flag."""
    report: dict = {}
    for unit, rows, thresholds in (("chars", chars, CHAR_THRESHOLDS), ("words", words, WORD_THRESHOLDS)):
        groups: dict[tuple[str, str], dict[int, int]] = defaultdict(lambda: defaultdict(int))
        for length, kind, is_spam, count in rows:
            for key in (("all", "all"), ("by_kind", kind or "unknown"), ("by_spam", "spam" if is_spam else "not_spam")):
                groups[key][length] += count
        if not groups:
            raise ValueError("no messages")
        section: dict = {"by_kind": {}, "by_spam": {}}
        for (family, name), histogram in sorted(groups.items()):
            lengths = sorted(histogram)
            summary = length_summary(lengths, [histogram[v] for v in lengths], thresholds=thresholds, bins=bins)
            if family == "all":
                section["all"] = summary
            else:
                section[family][name] = summary
        report[unit] = section
    return report
