"""The intake's spam scorer: the interface any classifier sits behind, and the saved model behind it.

Importing this module loads neither scikit-learn nor joblib: the model, and the libraries with it,
load on first use (and again when the file changes), so the request path pays nothing until it scores.
To swap the classifier, point the CONTACT_SPAM_SCORER setting at another object with `.probability()`."""
import logging
import threading
from pathlib import Path
from typing import Protocol

from django.conf import settings

logger = logging.getLogger(__name__)
_lock = threading.Lock()
_cache: dict[str, tuple[int, dict]] = {}  # path -> (mtime_ns, bundle)


class SpamScorer(Protocol):
    def probability(self, text: str) -> float | None:
        """P(spam) for a message's text (subject and body joined by a newline), or None without a model."""


def loaded_model() -> dict | None:
    path = Path(settings.ANALYTICS_MODEL_PATH)
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        return None
    cached = _cache.get(str(path))
    if cached and cached[0] == mtime:
        return cached[1]
    with _lock:
        cached = _cache.get(str(path))
        if cached and cached[0] == mtime:
            return cached[1]
        try:
            from analytics.spam_model import load_model  # scikit-learn and joblib: on first use only

            bundle = load_model(path)
        except Exception:  # a broken or foreign file must never break the intake
            logger.exception("cannot load the spam model from %s", path)
            return None
        _cache[str(path)] = (mtime, bundle)
        return bundle


class SavedModelScorer:
    """The model `manage.py analytics spam` saved at ANALYTICS_MODEL_PATH."""

    def probability(self, text: str) -> float | None:
        bundle = loaded_model()
        if bundle is None:
            return None
        from analytics.spam_model import spam_probabilities

        return float(spam_probabilities(bundle["model"], [text])[0])


saved_model: SpamScorer = SavedModelScorer()


def spam_probability(text: str) -> float | None:
    """P(spam) from the saved model, or None without one."""
    return saved_model.probability(text)
