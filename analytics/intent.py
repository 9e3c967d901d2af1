"""The intent model's Django side: the intents on offer (from the site's services), its training
data (the hand-written seed, the services' own descriptions, and staff corrections), and the
trained models, kept in MongoDB (collection analytics_intent_model) so every worker on every
machine uses the same one.

Importing this module loads no scikit-learn: training and loading go through
analytics.intent_model, imported inside the functions that need it, which only the worker and
the `intent` command call.
"""
import hashlib
import logging
from datetime import datetime, timezone
from pathlib import Path

from bson import Binary
from django.conf import settings
from django.utils.text import slugify
from pymongo import DESCENDING

from contact import selectors as contact_selectors
from maniva_webapp.content import site_content

logger = logging.getLogger(__name__)
MODELS = "analytics_intent_model"
KEEP_MODELS = 5
SEED_PATH = Path(settings.BASE_DIR) / "data" / "intent_seed.csv"
FIXED_INTENTS = [
    ("partnership", "Partnership or vendor pitch"),
    ("job_application", "Job application"),
    ("existing_client", "Existing client"),
    ("other", "Other"),
]


def _services() -> list:
    return list(site_content().services.items)


def _service_intent(service) -> str:
    return f"project:{slugify(service.title.values[service.title.default])}"[:60]


def intent_choices() -> list[tuple[str, str]]:
    """(value, label) of every intent: a new project per service of content/site.toml, then the rest.
    Renaming a service renames its intent (its seed rows then train nothing until renamed too)."""
    projects = [(_service_intent(s), f"New project: {s.title.values[s.title.default]}") for s in _services()]
    return [*projects, *FIXED_INTENTS]


def intent_labels() -> dict[str, str]:
    return dict(intent_choices())


def service_examples() -> list:
    """One example per service: its title, summary and points, labelled with its project intent."""
    from analytics.intent_model import Example

    examples = []
    for service in _services():
        parts = [service.title, service.summary, *service.points]
        text = ". ".join(p.values[p.default] for p in parts)
        examples.append(Example(text=text, intent=_service_intent(service)))
    return examples


def training_examples(*, seed_path: Path | None = None) -> tuple[list, list, list]:
    """(services, seed, corrections) as analytics.intent_model.Examples, each keeping only intents on
    offer now (a seed row or correction naming a removed service is dropped, and logged)."""
    from analytics.intent_model import Example, read_seed_csv

    offered = set(intent_labels())
    seed = read_seed_csv(seed_path or SEED_PATH)
    corrections = [Example(text=text, intent=intent) for text, intent in contact_selectors.intent_labelled_texts()]
    dropped = sorted({e.intent for e in [*seed, *corrections]} - offered)
    if dropped:
        logger.warning("intent training skips examples of intents no longer offered: %s", ", ".join(dropped))
    keep = [e for e in seed if e.intent in offered], [e for e in corrections if e.intent in offered]
    return service_examples(), *keep


def _collection():
    from django.db import connection

    return connection.get_collection(MODELS)


def _fingerprint(examples: list) -> str:
    digest = hashlib.sha256()
    for example in examples:
        digest.update(f"{example.intent}\t{example.text}\n".encode())
    return digest.hexdigest()


_fitted: dict[str, object] = {}  # fingerprint -> fitted pipeline: the same data is never fitted twice in a process


def intent_model_train(*, seed_path: Path | None = None) -> dict:
    """Fit the intent model on services + seed + staff corrections, store it, return its record
    (without the model's bytes) and, under "model", the fitted pipeline."""
    from analytics.intent_model import model_dumps, train

    stamp = contact_selectors.intent_labels_stamp()
    services, seed, corrections = training_examples(seed_path=seed_path)
    examples = [*services, *seed, *corrections]
    fingerprint = _fingerprint(examples)
    model = _fitted.get(fingerprint)
    if model is None:
        model = train(examples)
        _fitted.clear()
        _fitted[fingerprint] = model
    record = {
        "created_at": datetime.now(timezone.utc),
        "labels_upto": stamp,
        "intents": sorted(intent_labels()),
        "fingerprint": fingerprint,
        "examples": {"services": len(services), "seed": len(seed), "corrections": len(corrections)},
    }
    collection = _collection()  # its created_at index: migration analytics 0001
    inserted = collection.insert_one({**record, "model": Binary(model_dumps(model))})
    if old := [doc["_id"] for doc in collection.find({}, {"_id": 1}).sort("created_at", DESCENDING).skip(KEEP_MODELS)]:
        collection.delete_many({"_id": {"$in": old}})
    logger.info("intent model trained: %s", record["examples"])
    return {**record, "_id": inserted.inserted_id, "model": model}


def intent_model_latest() -> dict | None:
    """The newest stored model's record, without its bytes."""
    return _collection().find_one({}, {"model": 0}, sort=[("created_at", DESCENDING)])


def intent_model_stale(record: dict | None) -> bool:
    """True without a model, after staff set an intent since it was trained, or when the intents on
    offer changed (a service added, renamed or removed)."""
    if record is None:
        return True
    stamp = contact_selectors.intent_labels_stamp()
    return record.get("labels_upto") != stamp or record.get("intents") != sorted(intent_labels())


def intent_model_load(record_id) -> object | None:
    from analytics.intent_model import model_loads

    doc = _collection().find_one({"_id": record_id}, {"model": 1})
    return model_loads(bytes(doc["model"])) if doc else None


def intent_models_forget() -> int:
    """Delete every stored intent model (GDPR: one learned from an erased person's messages); the
    worker trains a new one at its next message."""
    _fitted.clear()
    return _collection().delete_many({}).deleted_count
