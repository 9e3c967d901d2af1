"""IMAP polling: mail waiting in a provider's mailbox joins the one inbound path.

The worker polls every IMAP_POLL_SECONDS when IMAP_HOST is set. Each new message is fetched by
UID (without setting \\Seen), handed to contact.services.inbound_mail_receive(via="imap"), then
marked processed twice over: the mailbox's (UIDVALIDITY, last UID) is recorded in
`contact_imapstate`, and the message gets \\Seen. A restart, or another worker, starts after the
recorded UID; a crash between the import and the record only repeats a message the inbound core
already has (it is unique on Message-ID).

Which messages are new: with a record for the current UIDVALIDITY, every UID above the recorded
one, seen or not (a person may have opened one in webmail first); without one (the first poll, or
the server renumbered the folder), the unseen messages only, so an old mailbox's history is not
imported and mail a previous run marked \\Seen is not fetched again.

A message refused for good (over INBOUND_MAX_BYTES: its size is asked first, so it is not even
downloaded) is recorded as processed but left unseen, so a person reading the mailbox notices it.
One refused for now (its sender over the rate limit, a 4xx) is kept on the record's retry list and
tried again at each poll, while the mail after it goes on, as an MTA would retry after a 451."""
import imaplib
import logging
import re
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from django.conf import settings
from django.db import DatabaseError, connection
from pymongo.errors import DuplicateKeyError, PyMongoError

from contact import services
from contact.inbound import MailRefused

logger = logging.getLogger(__name__)

COLLECTION = "contact_imapstate"
TIMEOUT_SECONDS = 30
# One poll takes at most this many messages; the rest wait for the next poll (the worker's other
# work is not held up behind a mailbox with a backlog).
BATCH = 200
# A poll holds the mailbox for this long at most, so two workers do not fetch the same mail; a
# worker killed mid-poll leaves a lease the next poll after it may take over.
LEASE_SECONDS = 600

_UIDVALIDITY = re.compile(rb"UIDVALIDITY (\d+)")
_UID = re.compile(rb"UID (\d+)")
_SIZE = re.compile(rb"RFC822.SIZE (\d+)")


@dataclass(frozen=True)
class ImapAccount:
    host: str
    port: int
    user: str
    password: str
    folder: str = "INBOX"
    ssl: bool = True

    @property
    def key(self) -> str:
        """The state record's id: one per mailbox folder."""
        return f"{self.user}@{self.host}:{self.port}/{self.folder}"


@dataclass
class PollResult:
    fetched: int = 0
    stored: int = 0
    duplicates: int = 0
    refused: int = 0  # for good (too big): recorded as processed, left unseen
    deferred: int = 0  # refused for now (the sender over the rate limit): tried again next poll
    error: str = ""  # why the poll stopped early (logged); the next poll retries


class MailboxBusy(Exception):
    """Another worker is polling this mailbox now."""


def imap_account() -> ImapAccount | None:
    """The mailbox the settings name, or None when IMAP_HOST is unset."""
    if not settings.IMAP_HOST:
        return None
    return ImapAccount(
        host=settings.IMAP_HOST, port=settings.IMAP_PORT, user=settings.IMAP_USER, password=settings.IMAP_PASSWORD,
        folder=settings.IMAP_FOLDER or "INBOX", ssl=settings.IMAP_SSL,
    )


def _state():
    return connection.get_collection(COLLECTION)


def imap_state_get(*, account: ImapAccount) -> dict | None:
    return _state().find_one({"_id": account.key}, {"uidvalidity": 1, "last_uid": 1, "unseen_pass": 1, "retry": 1, "polled_at": 1})


def _lease_take(*, account: ImapAccount, holder: str, now: datetime) -> None:
    state = _state()
    try:
        state.update_one({"_id": account.key}, {"$setOnInsert": {"uidvalidity": None, "last_uid": 0, "lease_until": None}}, upsert=True)
    except DuplicateKeyError:  # another worker's first poll made the record at the same moment
        pass
    taken = state.update_one(
        {"_id": account.key, "$or": [{"lease_until": None}, {"lease_until": {"$lt": now}}]},
        {"$set": {"lease_until": now + timedelta(seconds=LEASE_SECONDS), "lease_holder": holder}},
    )
    if taken.modified_count != 1:
        raise MailboxBusy(account.key)


def _lease_release(*, account: ImapAccount, holder: str) -> None:
    _state().update_one({"_id": account.key, "lease_holder": holder}, {"$set": {"lease_until": None, "polled_at": datetime.now(timezone.utc)}})


def _connect(account: ImapAccount) -> imaplib.IMAP4:
    cls = imaplib.IMAP4_SSL if account.ssl else imaplib.IMAP4
    client = cls(account.host, account.port, timeout=TIMEOUT_SECONDS)
    try:
        client.login(account.user, account.password)
    except BaseException:
        _logout(client)
        raise
    return client


def _logout(client: imaplib.IMAP4) -> None:
    try:
        client.logout()
    except (imaplib.IMAP4.error, OSError):
        pass


def _check(answer: tuple[str, list], what: str) -> list:
    kind, data = answer
    if kind != "OK":
        raise imaplib.IMAP4.error(f"{what}: {kind} {data!r}")
    return data


def _select(client: imaplib.IMAP4, folder: str) -> int:
    """Open the folder for writing (flags are set); its UIDVALIDITY."""
    _check(client.select(_quoted(folder)), f"SELECT {folder}")
    values = client.response("UIDVALIDITY")[1]
    if not values or values[0] is None:  # every IMAP4rev1 server sends it; ask again to be sure
        status = _check(client.status(_quoted(folder), "(UIDVALIDITY)"), f"STATUS {folder}")
        values = [_UIDVALIDITY.search(status[0]).group(1)]
    return int(values[0])


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _new_uids(client: imaplib.IMAP4, *, after: int, unseen_only: bool) -> list[int]:
    criteria = ("UNSEEN",) if unseen_only else ("UID", f"{after + 1}:*")
    data = _check(client.uid("SEARCH", *criteria), "UID SEARCH")
    uids = sorted({int(uid) for uid in b" ".join(item for item in data if item).split()})
    # "n:*" matches the highest UID even when it is below n (RFC 3501 6.4.8).
    return [uid for uid in uids if uid > after]


def _sizes(client: imaplib.IMAP4, uids: list[int]) -> dict[int, int]:
    """UID → size in bytes, of those still in the folder."""
    if not uids:
        return {}
    data = _check(client.uid("FETCH", ",".join(map(str, uids)), "(UID RFC822.SIZE)"), "UID FETCH RFC822.SIZE")
    sizes = {}
    for item in data:
        line = item[0] if isinstance(item, tuple) else item
        if isinstance(line, bytes) and (uid := _UID.search(line)) and (size := _SIZE.search(line)):
            sizes[int(uid.group(1))] = int(size.group(1))
    return sizes


def _fetch(client: imaplib.IMAP4, uid: int) -> bytes | None:
    """The message's raw RFC 822 bytes (BODY.PEEK leaves \\Seen alone); None if it is gone."""
    data = _check(client.uid("FETCH", str(uid), "(UID BODY.PEEK[])"), f"UID FETCH {uid}")
    for item in data:
        if isinstance(item, tuple) and (found := _UID.search(item[0])) and int(found.group(1)) == uid:
            return item[1]
    return None  # expunged meanwhile


def mailbox_poll(*, account: ImapAccount, holder: str = "", limit: int = BATCH) -> PollResult:
    """Import the mailbox's new mail. Connection, protocol and database errors end the poll early
    (logged, in the result): what was imported stays recorded and the next poll goes on from there."""
    result = PollResult()
    holder = holder or f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}"
    try:
        _lease_take(account=account, holder=holder, now=datetime.now(timezone.utc))
    except MailboxBusy:
        logger.info("mailbox %s is being polled by another worker", account.key)
        return result
    except (DatabaseError, PyMongoError) as exc:
        result.error = f"database: {exc}"
        logger.warning("IMAP poll of %s skipped, database unavailable: %s", account.key, exc)
        return result
    client = None
    try:
        client = _connect(account)
        _poll(client, account=account, result=result, limit=limit)
    except (imaplib.IMAP4.error, OSError, EOFError) as exc:  # OSError: refused, reset, timeout, TLS
        result.error = f"imap: {type(exc).__name__}: {exc}"
        logger.warning("IMAP poll of %s failed, will retry: %s", account.key, result.error)
    except (DatabaseError, PyMongoError) as exc:
        result.error = f"database: {exc}"
        logger.warning("IMAP poll of %s stopped, database unavailable: %s", account.key, exc)
    finally:
        if client is not None:
            _logout(client)
        try:
            _lease_release(account=account, holder=holder)
        except (DatabaseError, PyMongoError):
            pass  # the lease runs out by itself
    if result.fetched or result.refused:
        logger.info("IMAP %s: %d fetched, %d stored, %d duplicate, %d refused, %d deferred", account.key, result.fetched, result.stored, result.duplicates, result.refused, result.deferred)
    return result


def _poll(client: imaplib.IMAP4, *, account: ImapAccount, result: PollResult, limit: int) -> None:
    uidvalidity = _select(client, account.folder)
    state = imap_state_get(account=account) or {}
    if state.get("uidvalidity") != uidvalidity:
        if state.get("uidvalidity") is not None:
            logger.warning("IMAP %s: UIDVALIDITY changed from %s to %s, importing its unseen mail", account.key, state["uidvalidity"], uidvalidity)
        # Until one pass over the unseen mail has finished, "new" means unseen (see the module's note).
        state = {"uidvalidity": uidvalidity, "last_uid": 0, "unseen_pass": True, "retry": []}
        _state().update_one({"_id": account.key}, {"$set": state})
    match = {"_id": account.key, "uidvalidity": uidvalidity}
    retry = sorted(state.get("retry") or [])
    new = [uid for uid in _new_uids(client, after=state.get("last_uid") or 0, unseen_only=bool(state.get("unseen_pass"))) if uid not in retry]
    batch = (retry + new)[:limit]
    sizes = _sizes(client, batch)
    for uid in batch:
        outcome = _import(client, account=account, uid=uid, size=sizes.get(uid), result=result)
        if outcome == "retry" and uid not in retry:
            _state().update_one(match, {"$addToSet": {"retry": uid}})
        elif outcome != "retry" and uid in retry:
            _state().update_one(match, {"$pull": {"retry": uid}})
        if uid not in retry:
            _state().update_one(match, {"$max": {"last_uid": uid}})
    if state.get("unseen_pass") and len(retry) + len(new) <= limit:
        _state().update_one(match, {"$set": {"unseen_pass": False}})


def _import(client: imaplib.IMAP4, *, account: ImapAccount, uid: int, size: int | None, result: PollResult) -> str:
    """Hand one message to the inbound core; what became of it: "done", "refused", "retry" or "gone"."""
    if size is None:
        return "gone"  # expunged meanwhile
    if size > settings.INBOUND_MAX_BYTES:  # refused as the core would, without downloading it
        result.refused += 1
        logger.warning("IMAP %s: message UID %d refused (%d bytes; the limit is %d), left unseen", account.key, uid, size, settings.INBOUND_MAX_BYTES)
        return "refused"
    raw = _fetch(client, uid)
    if raw is None:
        return "gone"
    result.fetched += 1
    try:
        received = services.inbound_mail_receive(raw=raw, via="imap")
    except MailRefused as refused:
        if refused.temporary:  # e.g. the sender over the rate limit: tried again at the next polls
            result.deferred += 1
            logger.info("IMAP %s: message UID %d deferred (%s)", account.key, uid, refused.reason)
            return "retry"
        result.refused += 1
        logger.warning("IMAP %s: message UID %d refused (%s), left unseen", account.key, uid, refused.reason)
        return "refused"
    if received.duplicate:
        result.duplicates += 1
    else:
        result.stored += 1
    _check(client.uid("STORE", str(uid), "+FLAGS.SILENT", "(\\Seen)"), f"UID STORE {uid}")
    return "done"
