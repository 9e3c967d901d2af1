"""Retraining on staff labels behind an evaluation gate.

A quarter of the staff-labelled messages (by a hash of the text, so always the same ones) are
held out: never trained on, they are the gate's test set. A retrain fits the day-one recipe on the
day-one train split plus the other staff labels, chooses its cut-offs on the day-one validation
split, and scores itself and the live model on the held-out labels. It is stored as a new version
either way (with both models' figures), and deployed only if it does no worse than the live one:
its F1 at the review cut-off is not lower, and it holds no more genuine messages.

The worker calls retrain_when_due() every SPAM_RETRAIN_CHECK_SECONDS: a retrain runs (in a thread
of its own, so deliveries go on) after SPAM_RETRAIN_AFTER_LABELS new labels, or when any label is
new and the last version is a day old. `manage.py analytics spam --retrain` runs one at once."""
import hashlib
import logging
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

from django.conf import settings
from pymongo import DESCENDING
from pymongo.database import Database

from analytics import model_store, reader
from analytics.services import analytics_database
from maniva_webapp.background import thread_start_alone
from contact.selectors import message_collection_name

logger = logging.getLogger(__name__)
HELD_OUT_PERCENT = 25
GATE_MIN_PER_CLASS = 5  # fewer held-out labels of either class: no evidence, no deploy
NIGHTLY = timedelta(hours=24)
_running = threading.Lock()


def held_out(text: str) -> bool:
    return int(hashlib.sha256(f"gate:{text.strip()}".encode()).hexdigest(), 16) % 100 < HELD_OUT_PERCENT


def staff_labels(db: Database) -> tuple[tuple[list, list], tuple[list, list]]:
    """((train texts, labels), (held-out texts, labels)) of the staff's labels."""
    train, test = ([], []), ([], [])
    for text, label in zip(*reader.labelled_messages(db)):
        part = test if held_out(text) else train
        part[0].append(text)
        part[1].append(label)
    return train, test


def labels_count(db: Database) -> int:
    return db[message_collection_name()].count_documents({"spam_label": {"$in": ["spam", "ham"]}})


def gate(candidate: dict, live: dict | None, texts: list[str], labels: list[str]) -> dict:
    """The candidate's and the live model's figures on held-out labels, and whether the candidate
    may replace the live one (`passed`, with the `reason`)."""
    import numpy as np

    from analytics.spam_model import figures, spam_probabilities

    y = np.array([label == "spam" for label in labels], dtype=int)

    def scored(bundle: dict) -> dict:
        return figures(spam_probabilities(bundle["model"], texts), y, bundle["hold_threshold"], bundle["review_threshold"])

    result = {"held_out": len(texts), "candidate": scored(candidate) if texts else None, "live": None}
    if min(int(y.sum()), len(y) - int(y.sum())) < GATE_MIN_PER_CLASS:
        return {**result, "passed": False, "reason": f"fewer than {GATE_MIN_PER_CLASS} held-out labels of spam or of not spam"}
    if live is None:
        return {**result, "passed": True, "reason": "no live model"}
    result["live"] = scored(live)
    new, old = result["candidate"], result["live"]
    if new["hold"]["false_positives"] > old["hold"]["false_positives"]:
        return {**result, "passed": False, "reason": "it would hold more genuine messages than the live model"}
    if new["flag"]["f1"] < old["flag"]["f1"]:
        return {**result, "passed": False, "reason": f"F1 {new['flag']['f1']:.4f} below the live model's {old['flag']['f1']:.4f}"}
    return {**result, "passed": True, "reason": "no worse than the live model on held-out labels"}


def live_bundle(db: Database) -> dict | None:
    from analytics.spam_model import load_model, load_model_bytes

    version = model_store.live_version(db)
    if version is not None:
        return load_model_bytes(model_store.version_bytes(version, db))
    path = model_store.shipped_path()
    return load_model(path) if path.is_file() else None


def retrain(*, db: Database | None = None, reason: str = "labels", seed: int = 0) -> dict:
    """Train a candidate, store it as a version, deploy it if it passes the gate; returns its version document."""
    import numpy as np

    from analytics import spam_model

    db = db if db is not None else analytics_database()
    model_store.day_one_ensure(db)
    seen = labels_count(db)
    (train_texts, train_labels), (test_texts, test_labels) = staff_labels(db)
    rows = spam_model.corpora_rows(settings.SPAM_RETRAIN_CORPORA or spam_model.DAY_ONE_CORPORA, Path(settings.BASE_DIR))
    base = [r for r in rows if r[1] == "train"]
    texts = train_texts + [r[2] for r in base]  # staff labels first: they win a duplicate text
    labels = train_labels + ["spam" if r[3] else "ham" for r in base]
    weights = [1.0] * len(train_texts) + [spam_model.WEIGHTS.get(r[0], 1.0) for r in base]
    keep = spam_model.first_of_each_text(texts)
    texts, labels, weights = [texts[i] for i in keep], [labels[i] for i in keep], [weights[i] for i in keep]
    live = live_bundle(db)
    c = (live or {}).get("C", 3.0)
    model = spam_model.build_pipeline(C=c, seed=seed).fit(
        texts, np.array([label == "spam" for label in labels], dtype=int), calibratedclassifiercv__sample_weight=np.array(weights)
    )
    val = [r for r in rows if r[1] == "validation"]
    hold, review = spam_model.select_thresholds(
        model, [r[2] for r in val], np.array([r[3] for r in val]), enquiries=[r[2] for r in val if r[0] == "handwritten_ham" and not r[3]]
    )
    info = {
        "examples": len(texts), "staff_labels": len(train_texts), "labels_seen": seen, "C": c, "hold_threshold": hold,
        "review_threshold": review, "data_hash": spam_model.data_hash(texts, labels), "reason": reason,
    }
    decision = gate({"model": model, **info}, live, test_texts, test_labels)
    info["gate"] = decision
    info["metrics"] = spam_model.headline(decision["candidate"], "held-out staff labels") if decision["candidate"] else None
    version = model_store.version_add(data=spam_model.model_bytes(model, info=info), info=info, source="staff-retrain", db=db)
    if decision["passed"]:
        model_store.version_deploy(version, reason=f"retrain ({reason})", db=db)
    logger.info("spam model v%d trained on %d staff labels: %s (%s)", version, len(train_texts),
                "deployed" if decision["passed"] else "not deployed", decision["reason"])
    return model_store.version_get(version, db) | {"deployed": decision["passed"]}


def retrain_due(db: Database | None = None, now: datetime | None = None) -> str | None:
    """Why a retrain is due ("labels" or "nightly"), or None. Two reads."""
    db = db if db is not None else analytics_database()
    now = now or datetime.now(timezone.utc)
    newest = db[model_store.VERSIONS].find_one({}, {"labels_seen": 1, "created_at": 1}, sort=[("_id", DESCENDING)])
    seen = (newest or {}).get("labels_seen", 0) or 0
    new = labels_count(db) - seen
    if new >= settings.SPAM_RETRAIN_AFTER_LABELS:
        return "labels"
    created = (newest or {}).get("created_at")
    if new > 0 and created is not None and now - created.replace(tzinfo=created.tzinfo or timezone.utc) >= NIGHTLY:
        return "nightly"
    return None


def retrain_when_due() -> threading.Thread | None:
    """The worker's hook: start a retrain in a thread when one is due and none runs here."""
    try:
        reason = retrain_due()
    except Exception:
        logger.exception("cannot tell whether the spam model is due for retraining")
        return None
    if reason is None:
        return None
    return thread_start_alone(_running, lambda: retrain(reason=reason), name="spam-retrain")
