"""Caught mail: with no EMAIL_HOST, every outgoing mail is kept as one .eml file in MAIL_CATCH_DIR.

Django's filebased backend appends many messages to one log file per connection; here each
message is a complete RFC 822 file of its own, written to a temporary name and renamed into
place, so a reader never sees half a message. Names sort by the time of catching.
"""
import os
import re
import uuid
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend

NAME_RE = re.compile(r"\d{8}T\d{6}\.\d{6}Z-[0-9a-f]{32}\.eml")
BACKEND = "contact.mailcatch.CatchingEmailBackend"


def caught_name(*, at: datetime | None = None) -> str:
    at = (at or datetime.now(timezone.utc)).astimezone(timezone.utc)
    return f"{at:%Y%m%dT%H%M%S.%f}Z-{uuid.uuid4().hex}.eml"


def caught_write(*, directory: Path, raw: bytes) -> Path:
    """Write one message atomically; return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    name = caught_name()
    temporary = directory / f".{name}.tmp"
    with open(temporary, "wb") as file:
        file.write(raw)
        file.flush()
        os.fsync(file.fileno())
    final = directory / name
    os.replace(temporary, final)
    return final


class CatchingEmailBackend(BaseEmailBackend):
    """Keeps each message as MAIL_CATCH_DIR/<time>-<uuid>.eml instead of sending it."""

    def __init__(self, *, directory: str | Path | None = None, fail_silently: bool = False, **kwargs) -> None:
        super().__init__(fail_silently=fail_silently, **kwargs)
        self.directory = Path(directory or settings.MAIL_CATCH_DIR)

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        caught = 0
        for message in email_messages:
            if not message.recipients():
                continue
            try:
                caught_write(directory=self.directory, raw=message.message().as_bytes())
            except OSError:
                if not self.fail_silently:
                    raise
            else:
                caught += 1
        return caught
