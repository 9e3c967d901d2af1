"""The notebook opened as a user opens it: `make notebook` starts Jupyter, that server starts the
kernel for notebooks/analytics.ipynb (so in notebooks/, with the environment the make target
gives it), and every code cell runs through the server's kernel websocket, as the browser sends
them, against the suite's database."""
import json
import os
import re
import secrets
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from urllib.error import URLError
from urllib.request import Request, urlopen

import pytest
import websocket
from django.conf import settings

from tests.dbserver import SERVER

ROOT = Path(settings.BASE_DIR)
NOTEBOOK = "notebooks/analytics.ipynb"
URL = re.compile(r"http://127\.0\.0\.1:(\d+)/notebooks/notebooks/analytics\.ipynb\?token=")


class Jupyter:
    """The server `make notebook` started; its port is read from the URL it prints for the user."""

    def __init__(self, token: str, process: subprocess.Popen, log: Path) -> None:
        self.port, self.token, self.process, self.log = 0, token, process, log

    def api(self, method: str, path: str, body: dict | None = None) -> dict:
        request = Request(
            f"http://127.0.0.1:{self.port}{path}",
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urlopen(request, timeout=30) as response:
            payload = response.read()
        return json.loads(payload) if payload else {}

    def wait_until_up(self, seconds: float = 90) -> None:
        deadline = time.monotonic() + seconds
        while True:
            try:
                if not self.port and (printed := URL.search(self.log.read_text(errors="replace"))):
                    self.port = int(printed.group(1))
                if self.port:
                    self.api("GET", "/api/status")
                    return
            except (URLError, ConnectionError):
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"make notebook did not serve:\n{self.log.read_text(errors='replace')}")
            time.sleep(0.3)

    def run_cells(self, path: str, extra: list[str]) -> tuple[list[list[dict]], list[str]]:
        """Starts a kernel session for the notebook, runs its code cells then `extra`, as the browser
        does; returns each cell's outputs (the notebook's) and the extra cells' printed text."""
        notebook = self.api("GET", f"/api/contents/{path}?content=1")["content"]
        session = self.api("POST", "/api/sessions", {
            "path": path, "name": Path(path).name, "type": "notebook",
            "kernel": {"name": notebook["metadata"]["kernelspec"]["name"]},
        })
        url = f"ws://127.0.0.1:{self.port}/api/kernels/{session['kernel']['id']}/channels?session_id={session['id']}"
        connection = websocket.create_connection(url, header=[f"Authorization: token {self.token}"], timeout=120)
        try:
            cells = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
            outputs = [_execute(connection, session["id"], cell["source"]) for cell in cells]
            printed = ["".join(o.get("text", "") for o in _execute(connection, session["id"], code)) for code in extra]
        finally:
            connection.close()
            self.api("DELETE", f"/api/sessions/{session['id']}")
        return outputs, printed


def _execute(connection: websocket.WebSocket, session: str, code: str) -> list[dict]:
    msg_id = uuid.uuid4().hex
    connection.send(json.dumps({
        "header": {
            "msg_id": msg_id, "msg_type": "execute_request", "session": session, "username": "test",
            "date": datetime.now(timezone.utc).isoformat(), "version": "5.3",
        },
        "parent_header": {}, "metadata": {}, "buffers": [], "channel": "shell",
        "content": {"code": code, "silent": False, "store_history": True, "user_expressions": {}, "allow_stdin": False, "stop_on_error": True},
    }))
    outputs: list[dict] = []
    replied = idle = False
    while not (replied and idle):
        message = json.loads(connection.recv())
        if message.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind, content = message["msg_type"], message["content"]
        if kind == "stream":
            outputs.append({"output_type": "stream", "text": content["text"]})
        elif kind in ("display_data", "execute_result"):
            outputs.append({"output_type": kind, "data": content["data"]})
        elif kind == "error":
            raise AssertionError(f"cell failed:\n{code}\n" + re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(content["traceback"])))
        elif kind == "status" and content["execution_state"] == "idle":
            idle = True
        elif kind == "execute_reply":
            replied = True
    return outputs


@pytest.fixture(params=["local-env-file", "MONGODB_URI"])
def make_notebook(request, tmp_path) -> Iterator[Jupyter]:
    """`make notebook` pointed at the suite's database the two ways a user's finds `make run`'s:
    in a new shell, from the env file `make run` wrote (here at MANIVA_LOCAL_ENV, as the suite keeps
    var/local.env out of it); or through MONGODB_URI set by hand. The URI's path names the database."""
    token = secrets.token_hex(16)
    uri = f"mongodb://127.0.0.1:{SERVER.port}/{settings.DATABASES['default']['NAME']}"
    env = {name: value for name, value in os.environ.items() if name not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "PYTHONPATH", "MONGODB_URI")}
    if request.param == "MONGODB_URI":
        env["MONGODB_URI"] = uri
    else:
        local_env = tmp_path / "local.env"
        local_env.write_text(f"# Written by make run\nMONGODB_URI={uri}\nDJANGO_HTTPS=false\n")
        env["MANIVA_LOCAL_ENV"] = str(local_env)
    env.update(
        JUPYTER_TOKEN=token,  # Jupyter's own variable: the token to require instead of a random one
        # A first-time user's Jupyter: no config, kernels or runtime files of this machine's.
        JUPYTER_CONFIG_DIR=str(tmp_path / "jupyter-config"),
        JUPYTER_DATA_DIR=str(tmp_path / "jupyter-data"),
        JUPYTER_RUNTIME_DIR=str(tmp_path / "jupyter-runtime"),
        IPYTHONDIR=str(tmp_path / "ipython"),
    )
    log = tmp_path / "make-notebook.log"
    with open(log, "wb") as sink:
        # `-o`: the suite already runs in the venv that `make test` set up; no reinstall from here.
        # Port 0: Jupyter binds one the kernel picks and prints it in the URL.
        process = subprocess.Popen(
            ["make", "--no-print-directory", "-o", ".venv/.installed", "notebook", "NOTEBOOK_PORT=0"],
            cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True,
        )
    jupyter = Jupyter(token, process, log)
    try:
        jupyter.wait_until_up()
        yield jupyter
    finally:
        _stop_group(process)


def _stop_group(process: subprocess.Popen) -> None:
    """SIGTERM to make's process group (make, Jupyter, its kernels), SIGKILL if it lingers."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            process.poll()
            os.killpg(process.pid, 0)  # raises once every process of the group is gone
            time.sleep(0.2)
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=10)


def test_make_notebook_opens_the_notebook_and_runs_it_against_the_database(make_message, make_notebook):
    # Every won message names Shopify and little else in common: it ranks first for won on merit.
    for text in ("A Shopify store with online payments", "Shopify theme for our bakery", "Move our catalogue to Shopify",
                 "Shopify checkout and shipping rates", "Shopify apps for bookings", "Shopify or a custom shop?"):
        make_message(text, status="won")
    # The lost messages are alike word for word: every term ties, and the order is alphabetical.
    for i in range(6):
        make_message(f"Search ranking and SEO keywords for our clinic {i}", status="lost", kind="consultation")
    make_message("Free prize, click now", spam_label="spam", is_spam=True)

    outputs, (environment,) = make_notebook.run_cells(
        NOTEBOOK, ["import os, sys\nprint(os.getcwd()); print(sys.executable); print(os.environ.get('PYTHONPATH'))"]
    )
    text = "".join(o.get("text", "") for cell in outputs for o in cell)

    cwd, executable, pythonpath = environment.splitlines()
    assert Path(cwd) == ROOT / "notebooks"  # where the kernel of a notebook opened in Jupyter runs
    assert Path(executable).parent == ROOT / ".venv" / "bin"
    assert pythonpath.split(os.pathsep)[0] == str(ROOT)

    assert f"database {settings.DATABASES['default']['NAME']}: 13 messages" in text
    assert re.search(r"^won +\( +6\): \['shopify', ", text, re.M), text
    assert "lost       (   6): ['clinic', 'keywords', 'keywords clinic', 'ranking', 'ranking seo', 'search']" in text
    # Topics: listed biggest first, none empty or shown twice; every message in one of them.
    topics = re.findall(r"^#(\d+) +([\d.]+)%  (.+)$", text, re.M)
    assert f"{len(topics)} topics (3 asked for), 0 messages in none" in text
    assert topics[0] == ("0", "50.0", "clinic / keywords / keywords clinic")
    assert [int(n) for n, _, _ in topics] == list(range(len(topics)))
    assert len({label for _, _, label in topics}) == len(topics)
    assert sum(float(share) for _, share, _ in topics) == pytest.approx(100, abs=0.2)
    assert "1 labelled messages: {'spam': 1}" in text
    assert "seed corpus data/sms_spam_collection.csv: 5574 texts, 747 spam" in text
    images = [o for cell in outputs for o in cell if "image/png" in o.get("data", {})]
    assert len(images) == 4  # messages per month, length density, terms, topic trend
