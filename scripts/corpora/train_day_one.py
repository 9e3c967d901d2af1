"""Trains the day-one spam model shipped as data/spam_model.joblib, and writes its figures to
data/spam_model_report.json. Run by hand (about ten minutes on two CPUs):

    python scripts/corpora/train_day_one.py

Every distinct text of the corpora (analytics.spam_model.DAY_ONE_CORPORA) goes to train (60%),
validation (20%) or test (20%) by a hash of the text, the same on every machine. The
regularisation C is chosen on validation (average precision), and so are the two cut-offs
(analytics.spam_model.select_thresholds); the test split is scored once, at the end, by the model
that ships. data/contact_form_spam_phrases.csv is never trained on: it is a second test set. The
old SMS-only model (trained on the whole SMS corpus, as the README used to say, threshold 0.95) is
scored on the same test sets for comparison."""
import json
import sys
from pathlib import Path

import numpy as np
from sklearn.metrics import average_precision_score

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from analytics import spam_model  # noqa: E402

EVALUATION_ONLY = {"contact_form_phrases": "data/contact_form_spam_phrases.csv"}
REAL = ("sms", "spamassassin", "contact_form_phrases")
C_GRID = (0.1, 0.3, 1.0, 3.0)
OLD_THRESHOLD = 0.95


def pick(rows, split, corpora=None):
    chosen = [r for r in rows if r[1] == split and (corpora is None or r[0] in corpora)]
    return [r[2] for r in chosen], np.array([r[3] for r in chosen], dtype=int)


def main() -> None:
    rows = spam_model.corpora_rows(spam_model.DAY_ONE_CORPORA, ROOT)
    seen = {r[2].strip() for r in rows}
    for corpus, path in EVALUATION_ONLY.items():
        for text, label in zip(*spam_model.read_labelled_csv(ROOT / path)):
            if text.strip() not in seen:
                rows.append((corpus, "test", text, int(label == "spam")))
    x_train, y_train = pick(rows, "train")
    weights = np.array([spam_model.WEIGHTS.get(r[0], 1.0) for r in rows if r[1] == "train"])
    x_val, y_val = pick(rows, "validation")
    corpora = sorted({r[0] for r in rows})
    sizes = {s: {c: sum(1 for r in rows if r[1] == s and r[0] == c) for c in corpora} for s in ("train", "validation", "test")}
    print("sizes", json.dumps(sizes), flush=True)
    best = None
    for c in C_GRID:
        model = spam_model.build_pipeline(C=c).fit(x_train, y_train, calibratedclassifiercv__sample_weight=weights)
        ap = average_precision_score(y_val, spam_model.spam_probabilities(model, x_val))
        print(f"C={c} validation average precision={ap:.4f}", flush=True)
        if best is None or ap > best[0]:
            best = (ap, c, model)
    _, c, model = best
    enquiries, _ = pick(rows, "validation", {"handwritten_ham"})
    hold, review = spam_model.select_thresholds(model, x_val, y_val, enquiries=enquiries)
    print(f"chosen C={c} hold>={hold:.4f} review>={review:.4f}", flush=True)
    report = {
        "C": c, "hold_threshold": hold, "review_threshold": review, "sizes": sizes,
        "validation": spam_model.figures(spam_model.spam_probabilities(model, x_val), y_val, hold, review),
        "test": {}, "old_sms_only_model": {},
    }
    old, _ = spam_model.train(*spam_model.read_labelled_csv(ROOT / spam_model.DAY_ONE_CORPORA["sms"]))
    groups = {corpus: {corpus} for corpus in corpora} | {"all_real": set(REAL), "all_real_but_sms": set(REAL) - {"sms"}}
    for name, members in groups.items():
        x, y = pick(rows, "test", members)
        report["test"][name] = spam_model.figures(spam_model.spam_probabilities(model, x), y, hold, review)
        report["old_sms_only_model"][name] = spam_model.figures(spam_model.spam_probabilities(old, x), y, OLD_THRESHOLD)
    report["old_sms_only_model"]["note"] = "trained on the whole SMS corpus, so its sms figures are on texts it saw"
    report["headline"] = spam_model.headline(report["test"]["all_real"], "held-out test split of the real corpora")
    seo = spam_model.SEO_PITCH_EXAMPLE
    report["seo_pitch_score"] = {
        "day_one": round(float(spam_model.spam_probabilities(model, [seo])[0]), 4),
        "old_sms_only": round(float(spam_model.spam_probabilities(old, [seo])[0]), 4),
    }
    info = {
        "source": "day-one", "examples": len(x_train), "spam": int(y_train.sum()), "C": c, "weights": spam_model.WEIGHTS,
        "data_hash": spam_model.data_hash(x_train, ["spam" if v else "ham" for v in y_train]),
        "hold_threshold": hold, "review_threshold": review,
        "metrics": report["headline"],
    }
    spam_model.save_model(ROOT / "data" / "spam_model.joblib", model, info=info, compress=True)
    (ROOT / "data" / "spam_model_report.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
