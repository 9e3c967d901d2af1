"""Distribution of message lengths: histogram, percentiles, kernel density, exceedance. No Django."""
from collections import defaultdict
from collections.abc import Iterable, Sequence

import numpy as np
from scipy.stats import gaussian_kde

PERCENTILES = (5, 25, 50, 75, 90, 95, 99)
CHAR_THRESHOLDS = (100, 250, 500, 1000, 2000)
WORD_THRESHOLDS = (20, 50, 100, 200, 400)


def length_summary(
    values: Sequence[float], *, thresholds: Sequence[int] = CHAR_THRESHOLDS, bins: int = 20, kde_points: int = 100
) -> dict:
    """Summary of one sample of lengths; `p_exceeds[t]` is P(length > t) counted, `p_exceeds_kde` smoothed."""
    data = np.asarray(values, dtype=float)
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
        kde = gaussian_kde(data)
        grid = np.linspace(max(0.0, data.min() - 3 * kde.factor * data.std()), data.max(), kde_points)
        summary["kde"] = {"x": grid.tolist(), "density": kde(grid).tolist()}
        summary["p_exceeds_kde"] = {str(t): float(kde.integrate_box_1d(t, np.inf)) for t in thresholds}
    return summary


def length_report(rows: Iterable[tuple[int, int, str, bool]], *, bins: int = 20) -> dict:
    """`rows` are (characters, words, kind, is_spam); summaries overall, by kind and by spam flag."""
    chars: dict[tuple[str, str], list[int]] = defaultdict(list)
    words: dict[tuple[str, str], list[int]] = defaultdict(list)
    for n_chars, n_words, kind, is_spam in rows:
        for key in (("all", "all"), ("by_kind", kind or "unknown"), ("by_spam", "spam" if is_spam else "not_spam")):
            chars[key].append(n_chars)
            words[key].append(n_words)
    if not chars:
        raise ValueError("no messages")
    report: dict = {}
    for unit, groups, thresholds in (("chars", chars, CHAR_THRESHOLDS), ("words", words, WORD_THRESHOLDS)):
        section: dict = {"by_kind": {}, "by_spam": {}}
        for (family, name), values in sorted(groups.items()):
            summary = length_summary(values, thresholds=thresholds, bins=bins)
            if family == "all":
                section["all"] = summary
            else:
                section[family][name] = summary
        report[unit] = section
    return report
