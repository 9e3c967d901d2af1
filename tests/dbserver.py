"""pytest plugin, loaded before pytest-django: starts the suite's own SecantusDB server and points
the settings at it, so the suite never touches var/db/ or a developer's database."""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from pymongo import MongoClient
from pymongo.errors import PyMongoError


def free_port() -> int:
    """A port free now; another process may bind it before whoever is told it does. For a server,
    prefer port 0 and listening_port(); for a server that is down, tests.conftest.bound_socket()."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def listening_port(pid: int) -> int | None:
    """The TCP port a process listens on, from /proc (Linux): its socket inodes, looked up among the
    listening sockets (state 0A) of its network namespace. A server told to bind port 0 gets a port
    from the kernel that no other process can take first; this finds which one."""
    try:
        inodes = set()
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:  # closed meanwhile
                continue
            if target.startswith("socket:["):
                inodes.add(target[len("socket:[") : -1])
        for table in ("tcp", "tcp6"):
            with open(f"/proc/{pid}/net/{table}") as rows:
                for row in rows.readlines()[1:]:
                    fields = row.split()
                    if fields[3] == "0A" and fields[9] in inodes:
                        return int(fields[1].rsplit(":", 1)[1], 16)
    except OSError:  # the process is gone
        return None
    return None


class DatabaseServer:
    """A secantusd-py daemon, with its data in a temporary folder that outlives restarts. It first
    binds a port the kernel picks and keeps that port across restarts (clients hold its URI).

    Durable by default, as `make run` starts it: --sync-on-commit puts each write on disk before
    it is acknowledged."""

    def __init__(self, *, durable: bool = True) -> None:
        self.durable = durable
        self.port = 0  # known once started
        self.storage = Path(tempfile.mkdtemp(prefix="maniva-test-db-"))
        self.process: subprocess.Popen | None = None

    @property
    def uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/maniva"

    def start(self) -> None:
        daemon = Path(sys.executable).with_name("secantusd-py")
        self.process = subprocess.Popen(
            [str(daemon), "--host", "127.0.0.1", "--port", str(self.port), "--storage-path", str(self.storage / "data"), "--log-level", "ERROR",
             *(["--sync-on-commit"] if self.durable else [])],
            stdout=subprocess.DEVNULL,
        )
        if not self.port:
            self.port = self._bound_port()
        self.wait_until_up()

    def _bound_port(self, seconds: float = 30) -> int:
        deadline = time.monotonic() + seconds
        while not (port := listening_port(self.process.pid)):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the test database server did not start")
            time.sleep(0.1)
        return port

    def wait_until_up(self, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while True:
            try:
                with MongoClient(self.uri, serverSelectionTimeoutMS=300) as client:
                    client.admin.command("ping")
                return
            except PyMongoError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the test database server did not start") from None
                time.sleep(0.1)

    def kill(self) -> None:
        """kill -9: no chance to flush anything."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.storage, ignore_errors=True)


SERVER = DatabaseServer()


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args) -> None:
    SERVER.start()
    spool = Path(tempfile.mkdtemp(prefix="maniva-test-spool-"))
    os.environ.update(
        {
            "MONGODB_URI": SERVER.uri,
            "MONGODB_TIMEOUT_MS": "1500",
            "DJANGO_DEBUG": "false",
            "DJANGO_HTTPS": "false",
            "DJANGO_SECRET_KEY": "test-secret-key-for-the-suite-only-0123456789abcdefghij",
            "DJANGO_ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
            "CONTACT_SPOOL_DIR": str(spool),
            "DJANGO_STATIC_ROOT": str(spool.parent / f"{spool.name}-static"),
            "ANALYTICS_MODEL_PATH": str(spool.parent / f"{spool.name}-spam_model.joblib"),
            "CONTACT_NOTIFY_EMAILS": "team@maniva.test",
            "SITE_URL": "http://testserver",
            # manage.py in subprocesses must not read a developer's var/local.env (written by make run).
            "MANIVA_LOCAL_ENV": str(spool.parent / f"{spool.name}-no-local.env"),
        }
    )


def pytest_unconfigure(config) -> None:
    SERVER.close()
