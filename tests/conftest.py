import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message as EmailMessage
from http.server import ThreadingHTTPServer
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from contact.ratelimit import COLLECTION as RATELIMIT_COLLECTION, local_reset
from maniva_crm.services import MANAGERS, SALES, roles_ensure
from tests.dbserver import SERVER
from tests.factories import make_user
from tests.helpers import SocketController, bound_socket
from tests.pushservice import PushService, push_handler


@pytest.fixture(scope="session", autouse=True)
def collected_static() -> None:
    """Production settings serve hashed static files from a manifest: collect them once, into the
    suite's own DJANGO_STATIC_ROOT (set by tests/dbserver.py, inherited by server subprocesses)."""
    call_command("collectstatic", "--noinput", verbosity=0)


@pytest.fixture
def db_server():
    """The suite's database server, which a test may stop and start again (data survives)."""
    yield SERVER
    if SERVER.process.poll() is not None:
        SERVER.start()


@pytest.fixture(autouse=True)
def no_intent_model_held():
    """Each test's database has its own models: none held in memory from an earlier test (the request
    path would suggest with it)."""
    from analytics.intent_scoring import saved_intent_model

    yield
    saved_intent_model.settle(timeout=60)
    saved_intent_model.forget()


@pytest.fixture(autouse=True)
def no_lead_ids_remembered():
    """The intake's memory of addresses (contact.lead_ids) belongs to the test that made it."""
    from contact.lead_ids import lead_ids_forget

    lead_ids_forget()
    yield
    lead_ids_forget()


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


# Staff with the CRM's roles (tests/factories.make_user makes others).
@pytest.fixture
def roles(db) -> None:
    """The groups a migration creates; the test database is flushed between tests, so make them again."""
    roles_ensure()


@pytest.fixture
def sales(roles):
    return make_user("sam", role=SALES)


@pytest.fixture
def manager(roles):
    return make_user("mia", role=MANAGERS)


@pytest.fixture
def sales_client(client, sales):
    client.force_login(sales)
    return client


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


@pytest.fixture
def push_service(settings, monkeypatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), None)
    service = PushService(origin=f"http://127.0.0.1:{server.server_port}")
    # Pushes go to public https endpoints only: this local service is let in by name, here and in
    # any process a test starts (tests/stack.py passes the environment on).
    settings.PUSH_ENDPOINT_ALLOW = [service.origin]
    monkeypatch.setenv("PUSH_ENDPOINT_ALLOW", service.origin)
    server.RequestHandlerClass = push_handler(service)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    out = StringIO()
    call_command("webpush_keys", stdout=out)
    keys = dict(line.split("=", 1) for line in out.getvalue().split())
    settings.VAPID_PUBLIC_KEY, settings.VAPID_PRIVATE_KEY = keys["VAPID_PUBLIC_KEY"], keys["VAPID_PRIVATE_KEY"]
    yield service
    server.shutdown()
    server.server_close()
