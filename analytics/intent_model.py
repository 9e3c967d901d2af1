"""The intent classifier: what a contact-form message is about (a new project for one of the
agency's services, a partnership or vendor pitch, a job application, an existing client, other).

Pure scikit-learn, no Django. Word 1–2-grams and character 2–5-grams (within words, so "site" and
"sites", "website" and "websites", Portuguese and English inflections share features), sublinear
TF-IDF, a multinomial logistic regression with balanced class weights: small (a few hundred
examples train in well under a second) and calibrated enough to show its confidence.
"""
import csv
import io
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import joblib
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import FeatureUnion, Pipeline

class IntentDataError(ValueError):
    pass


@dataclass(frozen=True)
class Example:
    text: str
    intent: str


def read_seed_csv(path: Path) -> list[Example]:
    """`intent,text` rows (data/intent_seed.csv); raises IntentDataError on another shape."""
    try:
        with open(path, newline="", encoding="utf-8") as file:
            reader = csv.DictReader(file)
            if reader.fieldnames is None or not {"intent", "text"} <= set(reader.fieldnames):
                raise IntentDataError(f"{path}: the header must be intent,text")
            rows = [Example(text=(row["text"] or "").strip(), intent=(row["intent"] or "").strip()) for row in reader]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise IntentDataError(f"{path}: {exc}") from None
    return [row for row in rows if row.text and row.intent]


def pipeline(*, seed: int = 0) -> Pipeline:
    features = FeatureUnion([
        ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1, strip_accents="unicode", lowercase=True)),
        ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=1, strip_accents="unicode")),
    ])
    classifier = LogisticRegression(C=1.0, class_weight="balanced", max_iter=5000, random_state=seed)
    return Pipeline([("features", features), ("classifier", classifier)])


def train(examples: Sequence[Example], *, seed: int = 0) -> Pipeline:
    intents = {e.intent for e in examples}
    if len(intents) < 2:
        raise IntentDataError("training needs examples of at least two intents")
    model = pipeline(seed=seed)
    model.fit([e.text for e in examples], [e.intent for e in examples])
    return model


def predict(model: Pipeline, texts: Sequence[str]) -> list[tuple[str, float]]:
    """(intent, probability) per text; equal probabilities go to the intent first in sorted order."""
    from analytics.lean_predict import predict_proba

    probabilities = predict_proba(model, texts)
    classes = model.classes_  # sorted by scikit-learn
    best = np.argmax(probabilities, axis=1)  # the first maximum: a tie never depends on luck
    return [(str(classes[i]), round(float(row[i]), 4)) for i, row in zip(best, probabilities)]


def accuracy(model: Pipeline, examples: Sequence[Example]) -> float:
    guesses = predict(model, [e.text for e in examples])
    return sum(g == e.intent for (g, _), e in zip(guesses, examples)) / len(examples)


def cross_validate(examples: Sequence[Example], *, always: Sequence[Example] = (), folds: int = 5, seed: int = 0) -> dict:
    """Stratified k-fold accuracy on `examples`; `always` (the service descriptions) join every
    training fold and are never scored."""
    labels = [e.intent for e in examples]
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    scores = []
    for train_idx, test_idx in splitter.split(np.zeros(len(examples)), labels):
        model = train([*always, *(examples[i] for i in train_idx)], seed=seed)
        scores.append(accuracy(model, [examples[i] for i in test_idx]))
    return {"folds": folds, "n": len(examples), "accuracy": round(float(np.mean(scores)), 4),
            "fold_accuracies": [round(s, 4) for s in scores]}


def corrections_simulate(
    base: Sequence[Example], pool: Sequence[Example], *, corrections: int = 50, rounds: int = 20, seed: int = 0
) -> dict:
    """What `corrections` staff corrections do: in each round, `pool` (real-looking messages the
    base model never saw) is split at random into `corrections` messages that staff label (stratified
    by intent, so every intent gets its share) and the rest, which is scored by the base model and by
    the model retrained on base + those corrections, as the deployed retraining does."""
    rng = random.Random(seed)
    base_model = train(base, seed=seed)
    before, after = [], []
    by_intent: dict[str, list[Example]] = {}
    for example in pool:
        by_intent.setdefault(example.intent, []).append(example)
    for _ in range(rounds):
        labelled: list[Example] = []
        rest: list[Example] = []
        share = corrections / len(pool)
        for intent in sorted(by_intent):
            group = list(by_intent[intent])
            rng.shuffle(group)
            take = round(share * len(group))
            labelled += group[:take]
            rest += group[take:]
        labelled = labelled[:corrections]
        before.append(accuracy(base_model, rest))
        after.append(accuracy(train([*base, *labelled], seed=seed), rest))
    return {
        "corrections": corrections, "rounds": rounds, "scored_per_round": len(pool) - corrections,
        "before": round(float(np.mean(before)), 4), "before_sd": round(float(np.std(before)), 4),
        "after": round(float(np.mean(after)), 4), "after_sd": round(float(np.std(after)), 4),
        "rounds_better": sum(a > b for a, b in zip(after, before)), "rounds_worse": sum(a < b for a, b in zip(after, before)),
    }


def model_dumps(model: Pipeline) -> bytes:
    buffer = io.BytesIO()
    joblib.dump(model, buffer, compress=3)
    return buffer.getvalue()


def model_loads(blob: bytes) -> Pipeline:
    return joblib.load(io.BytesIO(blob))
