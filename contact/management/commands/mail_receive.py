import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from pymongo.errors import PyMongoError

from contact.services import MailRefused, inbound_mail_receive

EX_TEMPFAIL = 75  # sysexits.h: an MTA's pipe transport keeps the mail and tries again later


class Command(BaseCommand):
    help = (
        "Store one inbound mail (RFC 822 bytes on stdin) on its lead's conversation, for an MTA's pipe "
        "transport: exit 0 when stored or already stored, 1 when refused (too big), 75 to be retried later."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("recipients", nargs="*", help="The envelope recipients (Postfix: ${recipient}).")
        parser.add_argument("--sender", "-f", default=None, help="The envelope sender (Postfix: ${sender}; empty for a bounce).")

    def handle(self, *args, recipients: list[str], sender: str | None, **options) -> None:
        raw = sys.stdin.buffer.read()
        if not raw.strip():
            raise CommandError("no mail on stdin")
        try:
            result = inbound_mail_receive(raw=raw, via="pipe", envelope_from=sender, envelope_to=recipients)
        except MailRefused as exc:
            if exc.temporary:
                self.stderr.write(f"mail deferred: {exc.reason}")
                sys.exit(EX_TEMPFAIL)
            raise CommandError(f"mail refused: {exc.reason}") from None
        except (DatabaseError, PyMongoError) as exc:
            self.stderr.write(f"mail not stored, try again later: {exc}")
            sys.exit(EX_TEMPFAIL)
        message = result.message
        state = "already stored" if result.duplicate else "stored"
        self.stdout.write(f"{state}: message {message.pk}" + (f" on lead {message.lead_id}" if message.lead_id else " (no lead)"))
