"""Slow or stalled clients cannot starve the web server: many connections that send half a request
and stall hold only sockets, while other visitors are served."""
import socket

import pytest
import requests

from tests.dbserver import SERVER, free_port
from tests.stack import Stack, stack_env

STALLED = 40  # ten times the request threads the server is given


@pytest.fixture
def web(tmp_path):
    stack = Stack(env=stack_env(mongodb_uri=SERVER.uri, spool_dir=str(tmp_path / "spool"), smtp_port=free_port()))
    url = stack.start_web(threads=4)
    yield url
    stack.stop()


def _stall(url: str, partial: bytes) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    sock.sendall(partial)
    return sock


@pytest.mark.parametrize(
    "partial",
    [
        b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ",  # slowloris: headers never finished
        b"POST /contact/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 5000\r\n\r\nname=",  # a body that never comes
    ],
    ids=["headers", "body"],
)
def test_stalled_requests_do_not_block_other_visitors(web, partial):
    stalled = [_stall(web, partial) for _ in range(STALLED)]
    try:
        for _ in range(10):
            response = requests.get(web + "/healthz", timeout=5)
            assert response.status_code == 200
        assert requests.get(web + "/", timeout=5).status_code == 200
    finally:
        for sock in stalled:
            sock.close()
