"""The inbound SMTP receiver (aiosmtpd) that manage.py run_mailserver runs: an MTA, or a visitor's
mail server, delivers to it, and each mail goes through contact.services.inbound_mail_receive.

The SMTP conversation runs on an asyncio loop in a thread of its own; each mail is stored in a
worker thread (Django's database work is synchronous), so a slow store never stalls the other
conversations. It answers 250 once the mail is stored, 552 for a mail over INBOUND_MAX_BYTES
(advertised as SIZE, so a client that reads EHLO does not even send it), and 451 ("try again
later") when the store fails for any other reason: no mail is lost, and nothing crashes it.
"""
import asyncio
import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from aiosmtpd.smtp import SMTP, Envelope, Session
from django.conf import settings
from django.db import close_old_connections

from contact.services import MailRefused, inbound_mail_receive

logger = logging.getLogger(__name__)
logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command at INFO
MAX_RECIPIENTS = 50


class InboundHandler:
    def __init__(self, executor: ThreadPoolExecutor) -> None:
        self.executor = executor

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list) -> str:
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return "452 4.5.3 Too many recipients"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self.executor, _receive, envelope.original_content or envelope.content, envelope.mail_from, list(envelope.rcpt_tos))
        except MailRefused as exc:
            return exc.smtp_reply
        except Exception:
            logger.exception("inbound mail from %s not stored; the sender is asked to try again", envelope.mail_from)
            return "451 4.3.0 Temporary failure, try again later"
        return "250 OK stored"


def _receive(raw: bytes, mail_from: str, rcpt_tos: list[str]) -> None:
    close_old_connections()
    inbound_mail_receive(raw=raw, via="smtp", envelope_from=mail_from or "", envelope_to=rcpt_tos)


class InboundMailServer:
    """The receiver on host:port (port 0: one the kernel picks, then in `port`), started in a thread."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, threads: int = 4) -> None:
        self.host, self.port = host, port
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="inbound-store")
        self.loop = asyncio.new_event_loop()
        self._thread: threading.Thread | None = None
        self._server: asyncio.base_events.Server | None = None

    def _factory(self) -> SMTP:
        return SMTP(
            InboundHandler(self.executor),
            data_size_limit=settings.INBOUND_MAX_BYTES,
            enable_SMTPUTF8=True,
            hostname=settings.INBOUND_EMAIL_DOMAIN,
            ident="Maniva inbound",
            timeout=60,
            loop=self.loop,
        )

    def start(self) -> None:
        started = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            try:
                self._server = self.loop.run_until_complete(self.loop.create_server(self._factory, host=self.host, port=self.port))
            except BaseException as exc:
                failure.append(exc)
                started.set()
                return
            self.port = self._server.sockets[0].getsockname()[1]
            started.set()
            self.loop.run_forever()

        self._thread = threading.Thread(target=run, name="inbound-smtp", daemon=True)
        self._thread.start()
        started.wait()
        if failure:
            raise failure[0]

    def stop(self) -> None:
        if self._server is not None:
            async def close() -> None:
                self._server.close()
                await self._server.wait_closed()

            asyncio.run_coroutine_threadsafe(close(), self.loop).result(timeout=10)
            self.loop.call_soon_threadsafe(self.loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.executor.shutdown(wait=True)
        self.loop.close()
