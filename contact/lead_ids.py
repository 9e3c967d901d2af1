"""Which lead an address belongs to, as this process last learned it: the intake's shortcut for a
returning visitor (issue 15).

An existing lead's _id does not come back from the intake's upsert, so a returning visitor cost one
more read. With the _id remembered, the intake's update names it beside the usual conditions and
runs without upsert: it matches only the very lead that still holds the address, so a stale entry
(the lead merged away or erased since, another process's changes) matches nothing and the intake
takes its usual path, one round trip dearer. Keys are digests, not addresses; bounded, oldest out."""
import hashlib
import threading
from collections import OrderedDict

from bson import ObjectId

KEPT = 10_000
_lock = threading.Lock()
_ids: OrderedDict[bytes, ObjectId] = OrderedDict()


def _key(email: str) -> bytes:
    return hashlib.blake2b(email.encode(), digest_size=16).digest()


def lead_id_known(email: str) -> ObjectId | None:
    with _lock:
        lead_id = _ids.get(key := _key(email))
        if lead_id is not None:
            _ids.move_to_end(key)
        return lead_id


def lead_id_learn(email: str, lead_id: ObjectId) -> None:
    key = _key(email)
    with _lock:
        _ids[key] = lead_id
        _ids.move_to_end(key)
        while len(_ids) > KEPT:
            _ids.popitem(last=False)


def lead_ids_forget() -> None:
    """Forget every address (tests: each starts from its own database)."""
    with _lock:
        _ids.clear()
