import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message as EmailMessage

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.db import connection

from contact.forms import signed_form_timestamp
from contact.ratelimit import COLLECTION as RATELIMIT_COLLECTION, local_reset
from tests.dbserver import SERVER


@pytest.fixture(scope="session", autouse=True)
def collected_static() -> None:
    """Production settings serve hashed static files from a manifest: collect them once, into the
    suite's own DJANGO_STATIC_ROOT (set by tests/dbserver.py, inherited by server subprocesses)."""
    call_command("collectstatic", "--noinput", verbosity=0)


# Rate-limit windows are fixed: aligned to multiples of their length since the epoch. A test that
# counts hits in one window fails if a window boundary falls between its requests (with 600 s, once
# in a few thousand runs). Boundaries of this one fall in 2001 and 2033.
NO_EDGE_WINDOW = 10**9


@pytest.fixture
def db_server():
    """The suite's database server, which a test may stop and start again (data survives)."""
    yield SERVER
    if SERVER.process.poll() is not None:
        SERVER.start()


@pytest.fixture(autouse=True)
def fresh_rate_limits(request) -> None:
    local_reset()  # the per-process limits used while the database is unreachable
    if "db" in request.fixturenames or request.node.get_closest_marker("django_db"):
        connection.get_collection(RATELIMIT_COLLECTION).delete_many({})


@dataclass
class Mailbox:
    messages: list[EmailMessage] = field(default_factory=list)
    refuse_first: int = 0
    refused: int = 0

    def wait_for(self, count: int, seconds: float = 10) -> list[EmailMessage]:
        deadline = time.monotonic() + seconds
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.messages


class _Handler:
    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.mailbox.refused < self.mailbox.refuse_first:
            self.mailbox.refused += 1
            return "451 4.3.0 Try again later"
        mail = message_from_bytes(envelope.content)
        mail["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.mailbox.messages.append(mail)
        return "250 OK"


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


@pytest.fixture
def smtp_server(settings) -> Iterator[Mailbox]:
    """A real SMTP server (aiosmtpd) on a port of its own; Django's SMTP backend sends to it."""
    mailbox = Mailbox()
    controller = SocketController(_Handler(mailbox), bound_socket())
    port = controller.port
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = False
    yield mailbox
    controller.stop()


def form_data(**overrides) -> dict:
    """What a visitor's browser posts: their answers plus the form's hidden fields."""
    import uuid

    data = {
        "name": "Ana Souza",
        "email": "ana@Example.COM",
        "subject": "New website for our bakery",
        "message": "Hello! We need a new website with online ordering for our two shops.",
        "consent": "on",
        "website": "",
        "form_ts": signed_form_timestamp(time.time() - 30),
        "idem": uuid.uuid4().hex,
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}
