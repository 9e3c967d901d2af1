import os

from analytics import scoring, spam_model
from tests.analytics.test_spam_model import HAM, SPAM


def _save(path, spam_texts):
    model, info = spam_model.train(HAM + spam_texts, ["ham"] * len(HAM) + ["spam"] * len(spam_texts))
    spam_model.save_model(path, model, info=info)


def test_no_model_means_no_score(model_path):
    assert scoring.spam_probability("hello") is None


def test_model_is_cached_and_reloaded_when_the_file_changes(model_path):
    _save(model_path, SPAM)
    first = scoring.loaded_model()
    assert scoring.loaded_model() is first  # cached
    assert 0 <= scoring.spam_probability("Claim your prize now") <= 1
    _save(model_path, SPAM[::-1])
    stat = model_path.stat()
    os.utime(model_path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # a coarse clock may not tick
    assert scoring.loaded_model() is not first


def test_broken_model_file_is_logged_not_raised(model_path, caplog):
    model_path.write_bytes(b"not a model")
    assert scoring.spam_probability("hello") is None
    assert "cannot load the spam model" in caplog.text
