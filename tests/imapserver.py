"""A real IMAP server for tests: Debian's dovecot (package dovecot-imapd, installed by
scripts/system-deps.sh), started with a throwaway configuration and maildir in a
temporary folder (a static passdb: any user name, one password), plaintext login on 127.0.0.1 without TLS.

Dovecot will not run its login processes as root nor give root's uid to a mailbox: started by
root, it runs them as `nobody` and the folder is handed to that user; started by anyone else,
everything runs as that user."""
import grp
import imaplib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.dbserver import free_port

DOVECOT = "/usr/sbin/dovecot"
IMAP_BINARY = "/usr/lib/dovecot/imap"

CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
instance_name = maniva-test-{port}
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
first_valid_uid = 1
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


class ImapServer:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="maniva-test-imap-"))
        self.port = 0
        self.process: subprocess.Popen | None = None
        self.user = "crm@maniva.test"
        self.password = uuid.uuid4().hex  # every user's (a static passdb: any name logs in with it)

    def user_add(self) -> None:
        """A new user, with an empty mailbox, becomes this server's `user`: tests sharing one server
        share no mail. (A passwd-file is read again only when its size or mtime second changes.)"""
        self.user = f"crm-{uuid.uuid4().hex[:12]}@maniva.test"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, attempts: int = 5) -> None:
        runner = pwd.getpwnam("nobody") if os.getuid() == 0 else pwd.getpwuid(os.getuid())
        os.chmod(self.root, 0o755)  # the mail processes run as `runner`
        for name in ("mail", "home"):
            (self.root / name).mkdir(exist_ok=True)
            if os.getuid() == 0:
                os.chown(self.root / name, runner.pw_uid, runner.pw_gid)
        for _ in range(attempts):  # dovecot cannot listen on port 0: a free port, retried if taken meanwhile
            self.port = self.port or free_port()
            (self.root / "dovecot.conf").write_text(CONFIG.format(
                root=self.root, port=self.port, password=self.password, user=runner.pw_name, uid=runner.pw_uid, gid=runner.pw_gid,
                group=grp.getgrgid(runner.pw_gid).gr_name,
            ))
            self.process = subprocess.Popen([DOVECOT, "-F", "-c", str(self.root / "dovecot.conf")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if self._wait_until_up():
                return
            self.stop()
            self.port = 0
        raise RuntimeError(f"dovecot did not start: {self.log()[-2000:]}")

    def _wait_until_up(self, seconds: float = 15) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                client = imaplib.IMAP4("127.0.0.1", self.port, timeout=2)
            except OSError:
                time.sleep(0.05)
                continue
            client.logout()
            return True
        return False

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        # its children (log, anvil, config, imap) leave when the master goes; wait for the pid file too
        deadline = time.monotonic() + 5
        while (self.root / "run" / "master.pid").exists() and time.monotonic() < deadline:
            time.sleep(0.05)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def client(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        client.login(self.user, self.password)
        return client

    def deliver(self, raw: bytes, *, folder: str = "INBOX", seen: bool = False) -> int:
        """APPEND a message, as a provider's MTA would deliver it; its UID."""
        client = self.client()
        try:
            answer = client.append(f'"{folder}"', "(\\Seen)" if seen else None, None, raw)
            assert answer[0] == "OK", answer
            return int(answer[1][0].split(b"APPENDUID ")[1].split(b"]")[0].split()[1])
        finally:
            client.logout()

    def flags(self, *, folder: str = "INBOX") -> dict[int, set[str]]:
        """UID → flags of every message in the folder."""
        client = self.client()
        try:
            client.select(f'"{folder}"', readonly=True)
            kind, data = client.uid("FETCH", "1:*", "(UID FLAGS)")
            result = {}
            for item in data:
                if not item:
                    continue
                text = item.decode()
                uid = int(text.split("UID ")[1].split()[0].rstrip(")"))
                result[uid] = set(text.split("FLAGS (")[1].split(")")[0].split())
            return result
        finally:
            client.logout()

    def folder_recreate(self, folder: str) -> None:
        """Delete and create the folder again: the server gives it a new UIDVALIDITY."""
        client = self.client()
        try:
            client.delete(f'"{folder}"')
            assert client.create(f'"{folder}"')[0] == "OK"
        finally:
            client.logout()

    def folder_create(self, folder: str) -> None:
        client = self.client()
        try:
            assert client.create(f'"{folder}"')[0] == "OK"
        finally:
            client.logout()


@pytest.fixture(scope="session")
def _imap_daemon() -> Iterator[ImapServer]:
    if not os.access(IMAP_BINARY, os.X_OK):
        pytest.fail("dovecot-imapd is not installed: run scripts/system-deps.sh (make test does)")
    server = ImapServer()
    server.start()
    yield server
    server.close()


@pytest.fixture
def imap_server(_imap_daemon: ImapServer) -> ImapServer:
    """The suite's dovecot (running, though a test may stop and start it), with a mailbox of the test's own."""
    if not _imap_daemon.running:
        _imap_daemon.start()
    _imap_daemon.user_add()
    return _imap_daemon
