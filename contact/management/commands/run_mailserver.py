import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand

from contact.mailserver import InboundMailServer


class Command(BaseCommand):
    help = (
        "Receive inbound mail over SMTP (replies to reply+<token>@INBOUND_EMAIL_DOMAIN, or mail an MTA "
        "forwards) onto the leads' conversations. Runs until stopped (SIGTERM or Ctrl-C)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on (default 127.0.0.1).")
        parser.add_argument("--port", type=int, default=None, help="Port (default $INBOUND_SMTP_PORT, 2525; 0 picks a free one).")

    def handle(self, *args, host: str, port: int | None, **options) -> None:
        server = InboundMailServer(host=host, port=settings.INBOUND_SMTP_PORT if port is None else port)
        stopping = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stopping.set())
        server.start()
        self.stdout.write(f"inbound SMTP receiver on {host}:{server.port} (mail up to {settings.INBOUND_MAX_BYTES} bytes)")
        self.stdout.flush()
        stopping.wait()
        server.stop()
        self.stdout.write("inbound SMTP receiver stopped")
