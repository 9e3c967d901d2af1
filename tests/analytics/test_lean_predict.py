"""The short way of scoring (analytics.lean_predict) gives the very probabilities the pipelines' own
predict_proba gives, for the shipped spam model and a trained intent model."""
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.feature_extraction.text import TfidfVectorizer

from analytics import intent_model
from analytics.lean_predict import predict_proba
from analytics.spam_model import load_model

ROOT = Path(__file__).resolve().parents[2]
TEXTS = [
    "A new website\nWe are a small bakery with two shops and would like online ordering.",
    "CHEAP SEO!!! Rank #1 on Google in 7 days, click http://example.test now",
    "",
    "Olá, gostaríamos de um orçamento para uma loja online com entregas.",
]


def test_the_shipped_spam_model_scores_the_same_either_way():
    model = load_model(ROOT / "data" / "spam_model.joblib")["model"]
    assert np.array_equal(predict_proba(model, TEXTS), model.predict_proba(TEXTS))


def test_the_intent_model_scores_the_same_either_way():
    model = intent_model.train(intent_model.read_seed_csv(ROOT / "data" / "intent_seed.csv"))
    assert np.array_equal(predict_proba(model, TEXTS), model.predict_proba(TEXTS))


def test_transformer_weights_count_as_in_the_union():
    union = FeatureUnion([("words", TfidfVectorizer()), ("chars", TfidfVectorizer(analyzer="char_wb"))], transformer_weights={"chars": 0.5})
    model = Pipeline([("features", union), ("classifier", LogisticRegression())]).fit(["web shop", "seo spam now", "shop online", "spam spam"], [0, 1, 0, 1])
    assert np.array_equal(predict_proba(model, TEXTS), model.predict_proba(TEXTS))


def test_another_kind_of_model_keeps_its_own_predict_proba():
    model = LogisticRegression().fit(np.array([[0.0], [1.0], [0.1], [0.9]]), [0, 1, 0, 1])
    assert np.array_equal(predict_proba(model, [[0.2], [0.8]]), model.predict_proba([[0.2], [0.8]]))
