"""Writes: stored reports and the trained spam model. Django glue around the pure modules."""
from datetime import datetime, timezone
from pathlib import Path

from django.conf import settings
from django.db import connection
from pymongo.database import Database

from analytics import reader
from analytics.brand import Brand, brand_load
from contact.selectors import message_collection_name

REPORTS = "analytics_report"


def analytics_database() -> Database:
    return connection.get_database()


def model_path() -> Path:
    return Path(settings.ANALYTICS_MODEL_PATH)


def report_brand() -> Brand:
    """The site's brand for reports: its stylesheet (then Bootstrap's, for the font) and its content."""
    static = Path(settings.BASE_DIR) / "static"
    return brand_load(css_paths=[static / "css" / "site.css", static / "vendor" / "bootstrap" / "bootstrap.min.css"],
                      content_path=settings.SITE_CONTENT_PATH)


def report_store(*, results: dict, db: Database | None = None) -> str:
    """One insert per report (safe alone); reports are kept, the newest is shown."""
    collection = (db if db is not None else analytics_database())[REPORTS]  # its created_at index: migration analytics 0001
    inserted = collection.insert_one({"created_at": datetime.now(timezone.utc), "results": results})
    return str(inserted.inserted_id)


def spam_model_train(
    *,
    db: Database | None = None,
    query: dict | None = None,
    seed_corpus: Path | None = None,
    seed: int = 0,
    evaluate: bool = True,
) -> dict:
    """Trains on the staff's labels (plus a seed corpus), cross-validates, stores the model as a new
    version in MongoDB and deploys it (an admin's explicit choice: no gate); returns its info.
    Such a model carries no cut-offs of its own: the intake holds from 0.95 (or the settings)."""
    from analytics import model_store, spam_model

    db = db if db is not None else analytics_database()
    texts, labels = reader.labelled_messages(db, query)
    staff = len(texts)
    if seed_corpus:
        corpus_texts, corpus_labels = spam_model.read_labelled_csv(seed_corpus)
        texts, labels = texts + corpus_texts, labels + corpus_labels  # staff labels first: they win ties
    metrics = spam_model.evaluate(texts, labels, seed=seed) if evaluate else None
    model, info = spam_model.train(texts, labels, seed=seed)
    model_store.day_one_ensure(db)
    info.update({
        "staff_labels": staff, "labels_seen": staff, "seed_corpus": str(seed_corpus) if seed_corpus else None,
        "metrics": metrics and {"split": "5-fold cross-validation", **metrics},
    })
    version = model_store.version_add(data=spam_model.model_bytes(model, info=info), info=info, source="manual", db=db)
    model_store.version_deploy(version, reason="analytics spam (manual)", db=db)
    return {**info, "version": version, "model_format": spam_model.MODEL_VERSION}


def person_forget(*, message_ids: list[str], email: str) -> int:
    """GDPR erasure of analytics traces: stored reports computed over the person's messages are
    deleted (the next `analytics report` rebuilds them), and so is a spam model that learned from
    their staff-labelled messages (every stored version trained on staff labels: the intake goes
    back to the newest version trained without them, or to the shipped day-one model).
    Returns how many traces went."""
    from bson import ObjectId

    db = analytics_database()
    ids = [ObjectId(pk) for pk in message_ids]
    messages = list(db[message_collection_name()].find({"_id": {"$in": ids}}, {"received_at": 1, "spam_label": 1, "intent_label": 1}))
    if not messages:
        return 0
    earliest = min(message["received_at"] for message in messages)
    forgotten = db[REPORTS].delete_many({"created_at": {"$gte": earliest}}).deleted_count
    if any(message.get("intent_label") for message in messages):  # intent models learned from them
        from analytics.intent import intent_models_forget

        forgotten += intent_models_forget()
    if any(message.get("spam_label") for message in messages):
        from analytics.model_store import versions_forget_staff_trained

        forgotten += versions_forget_staff_trained(db)
        shipped = Path(settings.BASE_DIR) / "data" / "spam_model.joblib"
        if model_path().exists() and model_path().resolve() != shipped.resolve():  # a model file of its own: it may have learned from them
            model_path().unlink()
            forgotten += 1
    return forgotten
