"""The intake's spam scorer: the interface any classifier sits behind, and the live model behind it.

Importing this module loads neither scikit-learn nor joblib: the model, and the libraries with it,
load on first use, so the request path pays nothing until it scores. The live model is the version
MongoDB names (analytics.model_store), or the file shipped in the repository while none is deployed.
Which one is live is read at most every CONTACT_SPAM_MODEL_RECHECK_SECONDS, always in a background
thread: a submission never waits for that read, and the POST's round trips do not change.
To swap the classifier, point the CONTACT_SPAM_SCORER setting at another object with `.probability()`
(and optionally `.thresholds()`, the hold and review cut-offs its scores mean)."""
import logging
import threading
import time
from pathlib import Path
from typing import Protocol

from django.conf import settings

logger = logging.getLogger(__name__)
_lock = threading.Lock()
_cache: dict[str, tuple[int, dict]] = {}  # path -> (mtime_ns, bundle): the shipped file
_live: dict = {"key": None, "bundle": None, "checked": float("-inf"), "refreshing": False, "generation": 0}


class SpamScorer(Protocol):
    def probability(self, text: str) -> float | None:
        """P(spam) for a message's text (subject and body joined by a newline), or None without a model."""


def _file_bundle(path: Path) -> dict | None:
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        return None
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


def _resolve() -> tuple[object, dict | None]:
    """(key, bundle) of the live model: ("db", n) for a deployed version, the file's path otherwise."""
    from analytics import model_store

    try:
        version = model_store.live_version()
    except Exception:  # the database is down: keep what is loaded, or start with the shipped file
        logger.warning("cannot read the live spam model version", exc_info=True)
        if _live["key"] is not None:
            return _live["key"], _live["bundle"]
        version = None
    if version is None:
        path = Path(settings.ANALYTICS_MODEL_PATH)
        return str(path), _file_bundle(path)
    key = ("db", version)
    if key == _live["key"]:
        return key, _live["bundle"]
    try:
        from analytics.spam_model import load_model_bytes

        bundle = load_model_bytes(model_store.version_bytes(version))
    except Exception:
        logger.exception("cannot load spam model version %s: keeping the current model", version)
        return _live["key"], _live["bundle"]
    return key, {**bundle, "deployed_version": version}


def _refresh(generation: int) -> None:
    try:
        key, bundle = _resolve()
        with _lock:
            if generation == _live["generation"]:  # not reset meanwhile
                _live.update(key=key, bundle=bundle)
    finally:
        _live["refreshing"] = False


def loaded_model() -> dict | None:
    """The live model's bundle (model, thresholds, metrics), or None without one. Never reads the
    database in the caller's thread: the first use loads the shipped file and starts a background
    read of which version is live, which replaces it a moment later if one is deployed."""
    path = str(settings.ANALYTICS_MODEL_PATH)
    if _live["key"] is None or (isinstance(_live["key"], str) and _live["key"] != path):
        with _lock:  # first use (or the setting changed)
            if _live["key"] is None or (isinstance(_live["key"], str) and _live["key"] != path):
                _live.update(key=path, bundle=_file_bundle(Path(path)), checked=float("-inf"))
    elif isinstance(_live["key"], str):  # the file: its change is a stat away
        _live["bundle"] = _file_bundle(Path(_live["key"]))
    now = time.monotonic()
    if now - _live["checked"] >= settings.CONTACT_SPAM_MODEL_RECHECK_SECONDS and not _live["refreshing"]:
        with _lock:
            if not _live["refreshing"]:
                _live["refreshing"], _live["checked"] = True, now
                threading.Thread(target=_refresh, args=(_live["generation"],), name="spam-model-refresh", daemon=True).start()
    return _live["bundle"]


def live_refresh() -> dict | None:
    """Read which model is live and load it now, in this thread (commands; tests)."""
    key, bundle = _resolve()
    with _lock:  # a background read started earlier must not overwrite this newer answer
        _live.update(key=key, bundle=bundle, checked=time.monotonic(), generation=_live["generation"] + 1)
    return bundle


def live_reset() -> None:
    """Forget the loaded model: the next use starts again from the shipped file (tests)."""
    with _lock:
        _live.update(key=None, bundle=None, checked=float("-inf"), generation=_live["generation"] + 1)


class SavedModelScorer:
    """The live model: a deployed version in MongoDB, else the file at ANALYTICS_MODEL_PATH."""

    def probability(self, text: str) -> float | None:
        bundle = loaded_model()
        if bundle is None:
            return None
        from analytics.spam_model import spam_probabilities

        return float(spam_probabilities(bundle["model"], [text])[0])

    def thresholds(self) -> tuple[float | None, float | None]:
        """(hold, review) chosen for the live model, or Nones when it carries none."""
        bundle = loaded_model() or {}
        return bundle.get("hold_threshold"), bundle.get("review_threshold")


saved_model: SpamScorer = SavedModelScorer()


def spam_probability(text: str) -> float | None:
    """P(spam) from the live model, or None without one."""
    return saved_model.probability(text)

