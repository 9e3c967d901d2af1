"""run_web's two processes (issue 15): the front process listens on the public port, serves the pages
that need no database itself and forwards every other request to the app process over a unix socket.

In one process a visitor's GET / shared the interpreter lock with the POSTs' form handling, spam
scoring and BSON, and waited behind them even on threads of its own. The front does little besides
reading requests (waitress: whole, before a thread takes them, so slow clients still hold only a
socket), rendering cached pages and copying bytes. The app process is the same Django application.

The forwarder is this module, not WSGIProxy2: that one replaces the Host header with the backend's
address (Django's ALLOWED_HOSTS and CSRF origin check would then see the wrong host), overwrites
X-Forwarded-For (losing the chain a trusted front proxy sent), and opens a TCP connection per request."""
import http.client
import logging
import os
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

logger = logging.getLogger(__name__)

# The front tells the app process what only it knows: the visitor's address, and the address and
# scheme the request came in on. A visitor's own header of this name is dropped, never forwarded.
FRONT_HEADER = "X-Maniva-Front"
_FRONT_ENVIRON = "HTTP_X_MANIVA_FRONT"
_HOP_BY_HOP = frozenset({
    "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "expect",
})
_UNREACHABLE_HEADERS = [
    ("Content-Type", "text/plain; charset=utf-8"),
    ("Cache-Control", "no-store"),
    ("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Retry-After", "5"),
]
WSGIApp = Callable[[dict, Callable], object]


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self.socket_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.socket_path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


class AppForwarder:
    """A WSGI app that sends each request to the app process and streams its answer back, over one
    kept-alive connection per front thread."""

    def __init__(self, socket_path: str, *, timeout: float = 300) -> None:
        self.socket_path = socket_path
        self.timeout = timeout
        self._local = threading.local()

    def __call__(self, environ: dict, start_response: Callable) -> Iterator[bytes]:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        try:
            conn, response = self._exchange(environ, body)
        except (OSError, http.client.HTTPException):
            logger.exception("the app process did not answer %s %s", environ["REQUEST_METHOD"], environ.get("PATH_INFO"))
            start_response("502 Bad Gateway", _UNREACHABLE_HEADERS)
            return iter([b"The site is restarting. Please try again in a few seconds.\n"])
        headers = [(name, value) for name, value in response.getheaders()
                   if name.lower() not in _HOP_BY_HOP and name.lower() != "server"]  # the front's waitress names itself
        start_response(f"{response.status} {response.reason}", headers)
        return self._stream(conn, response)

    def _exchange(self, environ: dict, body: bytes) -> tuple[_UnixConnection, http.client.HTTPResponse]:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            try:
                self._send(conn, environ, body)
            except (BrokenPipeError, ConnectionResetError):
                # Closed by the app process between two requests (it never times them out): the
                # request did not reach it whole, so sending it again cannot run it twice.
                conn.close()
                conn = None
        if conn is None:
            conn = self._local.conn = _UnixConnection(self.socket_path, self.timeout)
            self._send(conn, environ, body)
        try:
            return conn, conn.getresponse()
        except BaseException:
            conn.close()
            self._local.conn = None
            raise

    @staticmethod
    def _send(conn: _UnixConnection, environ: dict, body: bytes) -> None:
        conn.putrequest(environ["REQUEST_METHOD"], environ.get("REQUEST_URI") or "/", skip_host=True, skip_accept_encoding=True)
        for key, value in environ.items():
            if key.startswith("HTTP_") and key != _FRONT_ENVIRON:
                name = key[5:].replace("_", "-")
                if name.lower() not in _HOP_BY_HOP:
                    conn.putheader(name, value)
        if "HTTP_HOST" not in environ:
            conn.putheader("Host", f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}")
        if environ.get("CONTENT_TYPE"):
            conn.putheader("Content-Type", environ["CONTENT_TYPE"])
        conn.putheader("Content-Length", str(len(body)))
        front = (environ.get("REMOTE_ADDR") or "-", environ["SERVER_NAME"], environ["SERVER_PORT"] or "-", environ["wsgi.url_scheme"])
        conn.putheader(FRONT_HEADER, " ".join(front))
        conn.endheaders(body)

    def _stream(self, conn: _UnixConnection, response: http.client.HTTPResponse) -> Iterator[bytes]:
        try:
            while chunk := response.read(65536):
                yield chunk
        finally:
            if not response.isclosed():  # the visitor went away mid-answer: the rest must not reach the next one
                conn.close()
                self._local.conn = None


def from_front(app: WSGIApp) -> WSGIApp:
    """The app process's side: the request as the front received it (the visitor's address, the
    public address and scheme), so client_ip, rate limits, CSRF and absolute URLs work as before."""
    def wrapped(environ: dict, start_response: Callable):
        remote, name, port, scheme = environ.pop(_FRONT_ENVIRON, "- localhost - http").split(" ", 3)
        environ["REMOTE_ADDR"] = environ["REMOTE_HOST"] = "" if remote == "-" else remote
        environ["SERVER_NAME"], environ["SERVER_PORT"] = name, "" if port == "-" else port
        environ["wsgi.url_scheme"] = scheme
        return app(environ, start_response)
    return wrapped


def front_app(pages: WSGIApp, forwarder: WSGIApp, database_free: Callable[[str, str], bool]) -> WSGIApp:
    """Pages that need no database from this process's own Django; everything else forwarded."""
    def route(environ: dict, start_response: Callable):
        if database_free(environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")):
            return pages(environ, start_response)
        return forwarder(environ, start_response)
    return route


def watch_parent(parent_pid: int, socket_path: str) -> None:
    """The app process ends when the front does, even by kill -9 (it would otherwise serve nobody),
    and then removes the socket and its folder, which the front had no chance to."""
    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(0.5)
        for path, remove in ((socket_path, os.unlink), (os.path.dirname(socket_path), os.rmdir)):
            try:
                remove(path)
            except OSError:
                pass
        os._exit(0)
    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


@contextmanager
def app_process(command: list[str], *, socket_name: str = "app.sock", ready_within: float = 120) -> Iterator[tuple[str, subprocess.Popen]]:
    """Starts `command + [socket path]` (the app process) and yields once it accepts connections; on
    leaving, stops it and removes its socket's private folder (mode 0700: only this user connects)."""
    folder = tempfile.mkdtemp(prefix="maniva-web-")
    path = str(Path(folder) / socket_name)
    child = subprocess.Popen([*command, path])
    try:
        deadline = time.monotonic() + ready_within
        while not _accepts(path):
            if child.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the app process did not start")
            time.sleep(0.05)
        yield path, child
    finally:
        if child.poll() is None:
            child.terminate()
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        for leftover in Path(folder).iterdir():
            leftover.unlink()
        os.rmdir(folder)


def _accepts(path: str) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        try:
            sock.connect(path)
        except OSError:
            return False
    return True


def interrupt_when_it_exits(child: subprocess.Popen, stopping: threading.Event) -> threading.Event:
    """The front stops (KeyboardInterrupt in its main thread, which ends waitress's loop) if the app
    process dies: a supervisor, or make run, then sees the web server gone. The event returned is
    set when that happened."""
    import _thread

    died = threading.Event()

    def watch() -> None:
        code = child.wait()
        if not stopping.is_set():
            logger.error("the app process exited (%s): stopping the front", code)
            died.set()
            _thread.interrupt_main()
    threading.Thread(target=watch, name="app-watch", daemon=True).start()
    return died
