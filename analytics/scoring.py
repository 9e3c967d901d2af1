"""Spam probability for the intake: the saved model, loaded once per process and again when the file changes."""
import logging
import threading
from pathlib import Path

from django.conf import settings

from analytics.spam_model import load_model, spam_probabilities

logger = logging.getLogger(__name__)
_lock = threading.Lock()
_cache: dict[str, tuple[int, dict]] = {}  # path -> (mtime_ns, bundle)


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
            bundle = load_model(path)
        except Exception:  # a broken or foreign file must never break the intake
            logger.exception("cannot load the spam model from %s", path)
            return None
        _cache[str(path)] = (mtime, bundle)
        return bundle


def spam_probability(text: str) -> float | None:
    """P(spam) for a message's text (subject and body joined by a newline), or None without a model."""
    bundle = loaded_model()
    if bundle is None:
        return None
    return float(spam_probabilities(bundle["model"], [text])[0])
