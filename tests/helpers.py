"""Helpers the tests share (test objects come from tests/factories.py, fixtures from conftest.py)."""
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from aiosmtpd.controller import Controller
from pymongo import monitoring

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


class ThreadCommands(monitoring.CommandListener):
    """The commands (name, command document) one thread sends while armed: arm() in that thread,
    disarm() to stop and get them. Install it on the site's client with site_client_listening."""

    def __init__(self) -> None:
        self.thread: int | None = None
        self.commands: list[tuple[str, dict]] = []

    def arm(self) -> None:
        self.thread, self.commands = threading.get_ident(), []

    def disarm(self) -> list[tuple[str, dict]]:
        self.thread = None
        return self.commands

    def started(self, event) -> None:
        if threading.get_ident() == self.thread:
            self.commands.append((event.command_name, event.command))

    def succeeded(self, event) -> None:
        pass

    def failed(self, event) -> None:
        pass


@contextmanager
def site_client_listening(listener: monitoring.CommandListener) -> Iterator[monitoring.CommandListener]:
    """The site's MongoClient made anew with `listener` (clients take listeners when they are made),
    and made again without it afterwards."""
    from django.db import connection

    options = connection.settings_dict["OPTIONS"]
    connection.close_pool()
    connection.settings_dict["OPTIONS"] = {**options, "event_listeners": [listener]}
    try:
        yield listener
    finally:
        connection.settings_dict["OPTIONS"] = options
        connection.close_pool()


def intent_model_at_hand() -> None:
    """As a web process that served a first message a moment ago: a model trained and stored (the
    worker's part), then loaded in the background by the request path's scorer."""
    from analytics.intent_scoring import saved_intent_model

    saved_intent_model.current()
    saved_intent_model.forget()
    assert saved_intent_model.suggest_at_hand("Hello") is None  # nothing held: no wait, no read in this thread
    assert saved_intent_model.settle(timeout=60)


def plan_stages(explained: dict) -> list[str]:
    plan, stages = explained["queryPlanner"]["winningPlan"], []
    while plan:
        stages.append(plan.get("stage"))
        plan = plan.get("inputStage")
    return stages


def index_names(explained: dict) -> list[str]:
    plan, names = explained["queryPlanner"]["winningPlan"], []
    while plan:
        if plan.get("indexName"):
            names.append(plan["indexName"])
        plan = plan.get("inputStage")
    return names
