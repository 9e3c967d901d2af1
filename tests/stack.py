"""Real processes for fault and load runs: web processes (manage.py run_web) and outbox workers sharing one
database, as on several machines (each is a separate OS process with its own connections)."""
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from tests.dbserver import listening_port

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@dataclass
class Stack:
    env: dict
    webs: list[subprocess.Popen] = field(default_factory=list)
    workers: list[subprocess.Popen] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)

    def start_web(self, threads: int = 4) -> str:
        """Port 0: the server binds a port the kernel picks, which no other process can take first."""
        proc = subprocess.Popen(
            [str(BIN / "python"), "manage.py", "run_web", "--port", "0", "--threads", str(threads)],
            cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL,
        )
        url = ""
        deadline = time.monotonic() + 60
        while True:
            try:
                port = listening_port(proc.pid)
                if port:
                    url = f"http://127.0.0.1:{port}"
                    requests.get(url + "/contact/", timeout=5)
                    break
            except requests.RequestException:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("the web server did not start")
            time.sleep(0.2)
        self.webs.append(proc)
        self.urls.append(url)
        return url

    def start_worker(self) -> subprocess.Popen:
        log = open(Path(self.env["CONTACT_SPOOL_DIR"]).with_suffix(f".worker{len(self.workers)}.log"), "ab")
        proc = subprocess.Popen(
            [str(BIN / "python"), "manage.py", "run_worker", "--poll", "0.2"], cwd=ROOT, env=self.env,
            stdout=log, stderr=subprocess.STDOUT,
        )
        self.workers.append(proc)
        return proc

    def stop(self) -> None:
        for proc in self.webs + self.workers:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.webs + self.workers:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def stack_env(*, mongodb_uri: str, spool_dir: str, smtp_port: int, **extra: str) -> dict:
    return {
        **os.environ,
        "MONGODB_URI": mongodb_uri,
        "CONTACT_SPOOL_DIR": spool_dir,
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY", "stack-secret-" + "k" * 40),
        "DJANGO_DEBUG": "false",
        "DJANGO_HTTPS": "false",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        **extra,
    }


class Visitor:
    """A browser-like client: fetches the form (CSRF cookie and hidden fields), then posts it."""

    def __init__(self, base_url: str) -> None:
        self.base = base_url
        self.session = requests.Session()
        self.session.get(base_url + "/contact/", timeout=30)

    def submit(self, data: dict) -> requests.Response:
        token = self.session.cookies.get("csrftoken")
        return self.session.post(
            self.base + "/contact/", data={**data, "csrfmiddlewaretoken": token},
            headers={"Referer": self.base + "/contact/"}, allow_redirects=False, timeout=60,
        )
