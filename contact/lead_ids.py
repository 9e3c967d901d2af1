"""Which lead an address belongs to, as this process last learned it: the intake's shortcut for a
returning visitor (issue 15).

An existing lead's _id does not come back from the intake's upsert, so a returning visitor cost one
more read. With the _id remembered, the intake's update names it beside the usual conditions and
runs without upsert: it matches only the very lead that still holds the address, so a stale entry
(the lead merged away or erased since, another process's changes) matches nothing and the intake
takes its usual path, one round trip dearer. Keys are digests, not addresses; bounded, oldest out."""
import hashlib

from bson import ObjectId

from maniva_webapp.memo import BoundedMemo

KEPT = 10_000
_ids = BoundedMemo(KEPT)  # address digest -> lead _id


def _key(email: str) -> bytes:
    return hashlib.blake2b(email.encode(), digest_size=16).digest()


def lead_id_known(email: str) -> ObjectId | None:
    return _ids.get(_key(email))


def lead_id_learn(email: str, lead_id: ObjectId) -> None:
    _ids.put(_key(email), lead_id)


def lead_ids_forget() -> None:
    """Forget every address (tests: each starts from its own database)."""
    _ids.clear()
