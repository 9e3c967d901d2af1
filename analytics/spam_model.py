"""Spam classifier: word and character TF-IDF, a linear SVM with calibrated probabilities. No Django.

Character n-grams catch obfuscations ("fr€e", "w1n") and words the training set never saw;
nothing here is tuned to one corpus."""
import csv
import hashlib
import os
import tempfile
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from pathlib import Path

import joblib
import numpy as np
import sklearn
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import StratifiedKFold, cross_validate
from sklearn.pipeline import Pipeline, make_pipeline, make_union
from sklearn.svm import LinearSVC

MODEL_VERSION = 1
LABELS = ("ham", "spam")
MIN_PER_CLASS = 5  # 5-fold CV needs one of each class per fold; calibration needs a few more


def build_pipeline(*, seed: int = 0) -> Pipeline:
    features = make_union(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, strip_accents="unicode"),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, min_df=2, strip_accents="unicode"),
    )
    return make_pipeline(features, CalibratedClassifierCV(LinearSVC(C=1.0, random_state=seed), cv=3))


def dedupe(texts: Iterable[str], labels: Iterable[str]) -> tuple[list[str], list[str]]:
    """One example per distinct text (the first label wins): duplicates across folds inflate CV scores."""
    seen: dict[str, str] = {}
    for text, label in zip(texts, labels):
        seen.setdefault(text.strip(), label)
    return list(seen), list(seen.values())


def read_labelled_csv(path: str | Path) -> tuple[list[str], list[str]]:
    """A `label,text` CSV with labels spam/ham (case-insensitive); other labels are an error."""
    texts, labels = [], []
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or not {"label", "text"} <= set(reader.fieldnames):
            raise ValueError(f"{path}: expected a header with the columns label,text")
        for line, row in enumerate(reader, start=2):
            label = (row["label"] or "").strip().lower()
            if label not in LABELS:
                raise ValueError(f"{path}:{line}: label must be spam or ham, not {row['label']!r}")
            texts.append(row["text"] or "")
            labels.append(label)
    return texts, labels


class TooFewExamples(ValueError):
    pass


def _targets(labels: Sequence[str]) -> np.ndarray:
    y = np.array([label == "spam" for label in labels], dtype=int)
    n_spam = int(y.sum())
    if min(n_spam, len(y) - n_spam) < MIN_PER_CLASS:
        raise TooFewExamples(f"need at least {MIN_PER_CLASS} spam and {MIN_PER_CLASS} ham examples, have {n_spam} and {len(y) - n_spam}")
    return y


def data_hash(texts: Sequence[str], labels: Sequence[str]) -> str:
    digest = hashlib.sha256()
    for text, label in sorted(zip(texts, labels)):
        digest.update(f"{label}\t{text}\n".encode())
    return digest.hexdigest()


def evaluate(texts: Sequence[str], labels: Sequence[str], *, folds: int = 5, seed: int = 0) -> dict:
    """Stratified k-fold cross-validated precision, recall and F1 of the spam class (texts deduplicated first)."""
    texts, labels = dedupe(texts, labels)
    y = _targets(labels)
    scores = cross_validate(
        build_pipeline(seed=seed), texts, y, cv=StratifiedKFold(folds, shuffle=True, random_state=seed), scoring=("precision", "recall", "f1")
    )
    return {
        "precision": float(scores["test_precision"].mean()),
        "recall": float(scores["test_recall"].mean()),
        "f1": float(scores["test_f1"].mean()),
        "folds": folds,
        "examples": len(texts),
        "spam": int(y.sum()),
    }


def train(texts: Sequence[str], labels: Sequence[str], *, seed: int = 0) -> tuple[Pipeline, dict]:
    texts, labels = dedupe(texts, labels)
    y = _targets(labels)
    model = build_pipeline(seed=seed).fit(texts, y)
    return model, {"examples": len(texts), "spam": int(y.sum()), "data_hash": data_hash(texts, labels)}


def save_model(path: str | Path, model: Pipeline, *, info: dict) -> dict:
    """Written to a temporary file and renamed, so a reader never loads half a model."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    bundle = {
        "model": model,
        "version": MODEL_VERSION,
        "sklearn": sklearn.__version__,
        "trained_at": datetime.now(timezone.utc).isoformat(),
        **info,
    }
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".spam_model.", suffix=".tmp")
    os.close(fd)
    try:
        joblib.dump(bundle, tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return {key: value for key, value in bundle.items() if key != "model"}


def load_model(path: str | Path) -> dict:
    bundle = joblib.load(path)
    if bundle.get("version") != MODEL_VERSION:
        raise ValueError(f"{path}: model version {bundle.get('version')}, this code reads {MODEL_VERSION}")
    return bundle


def spam_probabilities(model: Pipeline, texts: Sequence[str]) -> np.ndarray:
    return model.predict_proba(list(texts))[:, 1]
