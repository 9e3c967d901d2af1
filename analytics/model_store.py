"""Spam model versions in MongoDB: every trained model is kept (its joblib bytes in GridFS, its
metrics beside them), and one small document names the live version, so every web process and
worker scores with the same model. No scikit-learn here: bytes in, bytes out.

Until a version is deployed, the intake scores with the model file shipped in the repository
(ANALYTICS_MODEL_PATH, data/spam_model.joblib); the first command that touches versions records
that file as version 1 ("day-one"), so it can be listed and rolled back to like any other."""
import io
import json
from datetime import datetime, timezone
from pathlib import Path

import gridfs
from django.conf import settings
from pymongo import DESCENDING
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from analytics.services import analytics_database

VERSIONS = "analytics_spam_versions"
LIVE = "analytics_spam_live"
BUCKET = "analytics_spam_models"
LIVE_ID = "live"
DAY_ONE_REPORT = "spam_model_report.json"  # beside the shipped model: its held-out figures


class UnknownVersion(LookupError):
    pass


def _db(db: Database | None) -> Database:
    return db if db is not None else analytics_database()


def live_version(db: Database | None = None) -> int | None:
    """The deployed version's number, or None when none is (the shipped file is live then). One read by _id."""
    document = _db(db)[LIVE].find_one({"_id": LIVE_ID}, {"version": 1})
    return document["version"] if document else None


def version_get(version: int, db: Database | None = None) -> dict:
    document = _db(db)[VERSIONS].find_one({"_id": version})
    if document is None:
        raise UnknownVersion(f"no spam model version {version}")
    return document


def version_bytes(version: int, db: Database | None = None) -> bytes:
    db = _db(db)
    return gridfs.GridFSBucket(db, bucket_name=BUCKET).open_download_stream(version_get(version, db)["file_id"]).read()


def versions_list(db: Database | None = None) -> list[dict]:
    """Every version, newest first, without the model bytes; `live` marks the deployed one."""
    db = _db(db)
    live = live_version(db)
    return [{**doc, "live": doc["_id"] == live} for doc in db[VERSIONS].find({}, sort=[("_id", DESCENDING)])]


def version_add(*, data: bytes, info: dict, source: str, db: Database | None = None) -> int:
    """Store one model (joblib bytes) and its info (thresholds, metrics, gate); returns its version number."""
    db = _db(db)
    file_id = gridfs.GridFSBucket(db, bucket_name=BUCKET).upload_from_stream(f"spam-model-{source}", io.BytesIO(data))
    while True:
        newest = db[VERSIONS].find_one({}, {"_id": 1}, sort=[("_id", DESCENDING)])
        version = (newest["_id"] if newest else 0) + 1
        try:
            db[VERSIONS].insert_one({"_id": version, "file_id": file_id, "source": source, "created_at": datetime.now(timezone.utc), **info})
            return version
        except DuplicateKeyError:  # another process took this number: take the next
            continue


def version_deploy(version: int, *, reason: str, db: Database | None = None) -> None:
    """Make `version` the live one (each web process sees it within CONTACT_SPAM_MODEL_RECHECK_SECONDS)."""
    db = _db(db)
    version_get(version, db)
    now = datetime.now(timezone.utc)
    db[LIVE].update_one(
        {"_id": LIVE_ID},
        {"$set": {"version": version, "deployed_at": now}, "$push": {"history": {"version": version, "at": now, "reason": reason}}},
        upsert=True,
    )
    db[VERSIONS].update_one({"_id": version}, {"$set": {"deployed_at": now}})


def rollback(version: int | None = None, db: Database | None = None) -> int:
    """Deploy `version`, or the version that was live before the current one. Returns the version now live."""
    db = _db(db)
    if version is None:
        document = db[LIVE].find_one({"_id": LIVE_ID}) or {}
        current = document.get("version")
        earlier = [entry["version"] for entry in document.get("history", []) if entry["version"] != current]
        if not earlier:
            raise UnknownVersion("no earlier deployed version to roll back to")
        version = earlier[-1]
    version_deploy(version, reason="rollback", db=db)
    return version


def shipped_path() -> Path:
    return Path(settings.ANALYTICS_MODEL_PATH)


def day_one_ensure(db: Database | None = None) -> int | None:
    """Record the shipped model file as a version (and deploy it when nothing is live), once;
    returns its version, or None when there is no file."""
    db = _db(db)
    existing = db[VERSIONS].find_one({"source": "day-one"}, {"_id": 1})
    if existing:
        return existing["_id"]
    path = shipped_path()
    if not path.is_file():
        return None
    report_path = path.with_name(DAY_ONE_REPORT)
    report = json.loads(report_path.read_text()) if report_path.is_file() else {}
    info = {
        "hold_threshold": report.get("hold_threshold"),
        "review_threshold": report.get("review_threshold"),
        "metrics": report.get("headline"),
        "staff_labels": 0,
        "labels_seen": 0,
        "note": f"shipped in the repository ({path.name}); figures on the held-out test split of data/",
    }
    version = version_add(data=path.read_bytes(), info=info, source="day-one", db=db)
    if live_version(db) is None:
        version_deploy(version, reason="day-one", db=db)
    return version


def versions_forget_staff_trained(db: Database | None = None) -> int:
    """GDPR erasure: delete every version that learned from staff labels (the live pointer moves to
    the newest version that did not). Returns how many went."""
    db = _db(db)
    doomed = list(db[VERSIONS].find({"staff_labels": {"$gt": 0}}, {"file_id": 1}))
    if not doomed:
        return 0
    bucket = gridfs.GridFSBucket(db, bucket_name=BUCKET)
    for doc in doomed:
        bucket.delete(doc["file_id"])
    db[VERSIONS].delete_many({"_id": {"$in": [doc["_id"] for doc in doomed]}})
    live = live_version(db)
    if live is not None and live in {doc["_id"] for doc in doomed}:
        keep = db[VERSIONS].find_one({}, {"_id": 1}, sort=[("_id", DESCENDING)])
        if keep:
            version_deploy(keep["_id"], reason="erasure", db=db)
        else:
            db[LIVE].delete_one({"_id": LIVE_ID})
    db[LIVE].update_one({"_id": LIVE_ID}, {"$pull": {"history": {"version": {"$in": [doc["_id"] for doc in doomed]}}}})
    return len(doomed)
