"""run_web's two processes (issue 15): the front on the port, the app process behind it on a unix
socket. One stops with the other, whichever way the other ends, and nothing is left behind."""
import os
import signal
import time
from pathlib import Path

import pytest
import requests

from tests.dbserver import SERVER, free_port
from tests.stack import Stack, Visitor, stack_env


@pytest.fixture
def stack(tmp_path):
    stack = Stack(env=stack_env(mongodb_uri=SERVER.uri, spool_dir=str(tmp_path / "spool"), smtp_port=free_port()))
    yield stack
    stack.stop()


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


def _socket_folders(pid: int) -> list[str]:
    """The app process's unix socket folder, from its command line."""
    args = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
    return [str(Path(args[args.index("--app-socket") + 1]).parent)]


def _gone(pid: int, seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        if state == "Z":  # exited; its new parent has not reaped it yet
            return True
        time.sleep(0.05)
    return False


def test_pages_and_forwarded_requests_answer_through_one_port(stack):
    url = stack.start_web(threads=2)
    visitor = Visitor(url)
    landing = visitor.session.get(url + "/")
    health = visitor.session.get(url + "/healthz")
    assert (landing.status_code, health.status_code) == (200, 200)
    assert health.json()["database"] == "ok"
    for response in (landing, health):  # the same headers whichever process answered
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Server"] == "maniva" and "Via" not in response.headers
    crm = requests.get(url + "/crm/", allow_redirects=False)
    assert crm.status_code == 302 and crm.headers["Location"].startswith("/crm/login/")


def test_the_app_process_ends_when_the_front_is_killed(stack):
    stack.start_web(threads=2)
    front = stack.webs[0]
    [app] = _children(front.pid)
    folder = _socket_folders(app)[0]
    assert Path(folder).exists()
    front.kill()
    front.wait(10)
    assert _gone(app), "the app process outlived the front"
    assert not Path(folder).exists()


def test_sigterm_stops_both_and_removes_the_socket(stack):
    stack.start_web(threads=2)
    front = stack.webs[0]
    [app] = _children(front.pid)
    folder = _socket_folders(app)[0]
    front.send_signal(signal.SIGTERM)
    assert front.wait(20) == 0
    assert _gone(app)
    assert not Path(folder).exists()


def test_the_front_stops_when_the_app_process_dies(stack):
    """So that make run, or a supervisor, sees the web server gone instead of a front answering 502."""
    stack.start_web(threads=2)
    front = stack.webs[0]
    [app] = _children(front.pid)
    os.kill(app, signal.SIGKILL)
    assert front.wait(20) != 0
