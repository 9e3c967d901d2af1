"""A durable local spool for submissions that arrive while MongoDB is unreachable.

Each submission is one JSON line, written under an exclusive lock and fsync'd before the
visitor is told it was received. The worker replays the spool when the database is back;
idempotency keys make a replay (or a second one after a crash) create nothing twice.
"""
import fcntl
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

SPOOL_NAME = "submissions.jsonl"
REPLAY_SUFFIX = ".replaying"


def _spool_dir() -> Path:
    path = Path(settings.CONTACT_SPOOL_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextmanager
def _locked_spool() -> Iterator[int]:
    """An fd on the current spool file, exclusively locked, and still the file at the spool path."""
    path = _spool_dir() / SPOOL_NAME
    while True:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            same_file = os.path.exists(path) and os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same_file = False
        if same_file:
            break
        os.close(fd)  # the replayer moved it away while we waited for the lock
    try:
        yield fd
    finally:
        os.close(fd)


class SpoolFull(Exception):
    """The spool holds CONTACT_SPOOL_MAX_BYTES already: the submission is refused, not accepted."""

    retry_after = 120


def _spooled_bytes(directory: Path) -> int:
    total = 0
    for path in directory.glob(f"{SPOOL_NAME}*"):
        try:
            total += path.stat().st_size
        except FileNotFoundError:  # replayed and removed meanwhile
            pass
    return total


def spool_append(record: dict) -> None:
    """Append one submission and fsync it; raises SpoolFull (nothing written) past the bound."""
    line = (json.dumps(record, default=str, ensure_ascii=False) + "\n").encode()
    with _locked_spool() as fd:
        if _spooled_bytes(_spool_dir()) + len(line) > settings.CONTACT_SPOOL_MAX_BYTES:
            raise SpoolFull()
        os.write(fd, line)
        os.fsync(fd)
    dir_fd = os.open(_spool_dir(), os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def spool_pending() -> int:
    """Number of spooled submissions waiting for a replay."""
    total = 0
    for path in _spool_dir().glob(f"{SPOOL_NAME}*"):
        with path.open("rb") as handle:
            total += sum(1 for line in handle if line.strip())
    return total


def spool_replay(store: Callable[[dict], object]) -> int:
    """Move the spool aside, hand each record to `store`, and delete the file when all are stored.

    If `store` raises (the database went away again), the file stays for the next replay.
    """
    directory = _spool_dir()
    current = directory / SPOOL_NAME
    if current.exists():
        with _locked_spool():
            os.replace(current, directory / f"{SPOOL_NAME}.{os.getpid()}.{os.urandom(4).hex()}{REPLAY_SUFFIX}")
    replayed = 0
    for path in sorted(directory.glob(f"{SPOOL_NAME}.*{REPLAY_SUFFIX}")):
        try:
            handle = path.open(encoding="utf-8")
        except FileNotFoundError:  # another worker finished it first
            continue
        with handle:
            try:  # one replayer per file; the lock dies with its process, so a crashed replay is retried
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue
            for line in handle:
                if line.strip():
                    store(json.loads(line))
                    replayed += 1
            path.unlink(missing_ok=True)
    return replayed
