"""Helpers the tests share (test objects come from tests/factories.py, fixtures from conftest.py)."""
import socket

from aiosmtpd.controller import Controller

# Rate-limit windows are fixed: aligned to multiples of their length since the epoch. A test that
# counts hits in one window fails if a window boundary falls between its requests (with 600 s, once
# in a few thousand runs). Boundaries of this one fall in 2001 and 2033.
NO_EDGE_WINDOW = 10**9


def bound_socket() -> socket.socket:
    """A socket bound to a port the kernel picked, not yet listening: connecting to it is refused, as
    to a server that is down, and no other process can take the port before a server listens on it
    (a port number chosen first and bound later by someone else is a race)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock


class SocketController(Controller):
    """aiosmtpd's Controller serving on a socket bound beforehand (see bound_socket)."""

    def __init__(self, handler, sock: socket.socket, **kwargs) -> None:
        self.sock = sock
        super().__init__(handler, hostname="127.0.0.1", port=sock.getsockname()[1], **kwargs)

    def _create_server(self):
        return self.loop.create_server(self._factory_invoker, sock=self.sock, ssl=self.ssl_context)
