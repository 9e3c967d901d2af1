"""Rankings shown to people: highest score first, equal scores by name. No Django.

Scores are compared after rounding to `SIGNIFICANT_DIGITS`, so two scores that are equal in exact
arithmetic but differ in their last bits (the order a sum was taken in, a float32 round trip) tie,
and the name decides: the same data gives the same list whatever order it was read in."""
from collections.abc import Sequence

import numpy as np

SIGNIFICANT_DIGITS = 10  # float64 noise sits near the 16th digit; float32 inputs are exact in float64
ZERO = 1e-12  # below this a score is 0: `inside - outside` of two equal means can leave ~1e-17


def rounded(values: Sequence[float] | np.ndarray, *, digits: int = SIGNIFICANT_DIGITS, zero: float = ZERO) -> np.ndarray:
    """`values` (float64, same shape) rounded to `digits` significant digits; |value| < `zero` becomes 0."""
    values = np.array(values, dtype=np.float64, copy=True)
    nonzero = np.isfinite(values) & (np.abs(values) >= zero)
    values[~nonzero & np.isfinite(values)] = 0.0
    if nonzero.any():
        kept = values[nonzero]
        scale = 10.0 ** (digits - 1 - np.floor(np.log10(np.abs(kept))))
        values[nonzero] = np.round(kept * scale) / scale
    return values


def ranked(
    scores: Sequence[float] | np.ndarray, names: Sequence[str] | np.ndarray, *, top: int | None = None, positive: bool = False
) -> list[int]:
    """Indices of the best `top` scores (all when None), highest first, ties by name; with `positive`
    only scores above 0 (after rounding) take part. Partitions first: a vocabulary may be large."""
    scores = rounded(scores).ravel()
    if len(names) != scores.size:
        raise ValueError(f"{scores.size} scores for {len(names)} names")
    if top is not None and top <= 0:
        return []
    candidates = np.flatnonzero(scores > 0) if positive else np.arange(scores.size)
    if top is not None and candidates.size > top:
        # Everything scoring at least the top-th best, ties at the cut included: the name decides among them.
        kth = np.partition(scores[candidates], candidates.size - top)[candidates.size - top]
        candidates = candidates[scores[candidates] >= kth]
    labels = np.asarray([str(names[i]) for i in candidates], dtype=object)
    order = candidates[np.lexsort((labels, -scores[candidates]))] if candidates.size else candidates
    return order[:top].tolist() if top is not None else order.tolist()
