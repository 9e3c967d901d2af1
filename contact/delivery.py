"""The registry of outbox jobs: each kind's payload shape and the handler a worker runs for it.

A kind is declared once, in JOB_TYPES. Enqueuing (contact.outbox.job_enqueue) checks a payload
against its kind's shape, and the worker (job_run) loads it back through the same shape, so a
payload with a missing or unknown key fails where it is built, not in a worker an hour later.
This module stays cheap to import (web processes enqueue): pywebpush is loaded only to send.
"""
import functools
import logging
import smtplib
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from dataclasses import asdict, dataclass, field, fields
from email.utils import formataddr, make_msgid, parseaddr
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.template.loader import render_to_string

from contact.models import JobKind, Lead, Message, OutboxJob, PushSubscription
from contact.push import EndpointRefused, SubscriptionGone, push_send
from contact.replytoken import reply_address

logger = logging.getLogger(__name__)


class PayloadInvalid(ValueError):
    """A payload does not have its job kind's shape (a key missing, unknown, or of the wrong type)."""


@dataclass(frozen=True)
class MessagePayload:
    """Staff notification and visitor confirmation: everything is read from the stored message.
    `mail_message_id` is the mail's Message-ID, made when the job is enqueued so a retry resends
    the same one ("" on jobs stored before it existed: one is made at send time)."""

    message_id: str
    mail_message_id: str = ""


@dataclass(frozen=True)
class PushPayload:
    subscription_id: str
    title: str
    body: str
    url: str


@dataclass(frozen=True)
class EmailPayload:
    """A ready-made email: CRM replies, assignment notices, login-ceiling alerts."""

    to: list[str]
    subject: str
    template: str  # a template name without extension: both .txt and .html are rendered
    context: dict[str, Any] = field(default_factory=dict)
    reply_to: list[str] | None = None
    # Conversations (issue 14): the Message-ID made at enqueue time (stable across retries), the
    # thread it answers, the sender's display name (the address stays DEFAULT_FROM_EMAIL), and
    # whether it is an automatic mail (Auto-Submitted: auto-generated).
    message_id: str = ""
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    from_name: str = ""
    auto_submitted: bool = False


Payload = MessagePayload | PushPayload | EmailPayload
P = TypeVar("P", MessagePayload, PushPayload, EmailPayload)


def _type_ok(value: object, annotation: object) -> bool:
    origin = typing.get_origin(annotation)
    if origin in (types.UnionType, typing.Union):
        return any(_type_ok(value, arg) for arg in typing.get_args(annotation))
    if annotation is type(None):
        return value is None
    if origin is list:
        (item,) = typing.get_args(annotation)
        return isinstance(value, list) and all(_type_ok(v, item) for v in value)
    if origin is dict:
        return isinstance(value, dict)
    return annotation is Any or isinstance(value, annotation)


@functools.cache
def _hints(payload: type) -> dict[str, Any]:
    return typing.get_type_hints(payload)


@dataclass(frozen=True)
class JobType(Generic[P]):
    payload: type[P]
    handler: Callable[[P], None]

    def load(self, data: Mapping[str, Any]) -> P:
        """The payload from its stored form; raises PayloadInvalid on a missing, unknown or mistyped key."""
        if not isinstance(data, Mapping):
            raise PayloadInvalid(f"{self.payload.__name__} needs a mapping, not {type(data).__name__}")
        names = {f.name for f in fields(self.payload)}
        if unknown := sorted(set(data) - names):
            raise PayloadInvalid(f"{self.payload.__name__} has no key {', '.join(unknown)}")
        try:
            payload = self.payload(**data)
        except TypeError as exc:  # a required key is missing
            raise PayloadInvalid(f"{self.payload.__name__}: {exc}") from None
        self.check(payload)
        return payload

    def check(self, payload: P) -> None:
        if type(payload) is not self.payload:
            raise PayloadInvalid(f"expected a {self.payload.__name__}, got a {type(payload).__name__}")
        hints = _hints(self.payload)
        for name, value in asdict(payload).items():
            if not _type_ok(value, hints[name]):
                raise PayloadInvalid(f"{self.payload.__name__}.{name} cannot be {value!r}")


class DeliveryBatch:
    """What the jobs of one claimed batch share (issue 15): the messages they name, read in one query
    and their leads in one more, and one mail connection, opened on first use and closed at the end,
    instead of a connection (SMTP handshake and QUIT) per mail. Entered by the worker around a batch;
    job_run and the handlers find it through a context variable, and work alone without it.

    A mail that fails on a connection which already served earlier mails is sent once more on a new
    connection when the failure is a dropped connection (the server timed it out or went away between
    two mails); any other failure closes the connection and is the job's to retry, so the next job
    starts on a fresh one."""

    def __init__(self, jobs: Iterable[OutboxJob]) -> None:
        self.jobs = list(jobs)
        self.messages: dict[str, Message] = {}
        self.triaged: dict | None = None
        self.subscriptions: list[PushSubscription] | None = None
        self.connection: BaseEmailBackend | None = None
        self.sent_on_connection = 0
        self.connections_opened = 0

    def __enter__(self) -> "DeliveryBatch":
        ids = {str(job.payload.get("message_id")) for job in self.jobs
               if job.kind in (JobKind.STAFF_EMAIL, JobKind.VISITOR_EMAIL) and isinstance(job.payload, dict)}
        if ids:
            self.messages = {str(m.pk): m for m in Message.objects.in_bulk([i for i in ids if _object_id(i)]).values()}
            leads = Lead.objects.in_bulk({m.lead_id for m in self.messages.values() if m.lead_id})
            for message in self.messages.values():
                if message.lead_id in leads:
                    Message.lead.field.set_cached_value(message, leads[message.lead_id])
        self._token = _batch.set(self)  # only once the reads succeeded: a failed __enter__ has no __exit__
        return self

    def __exit__(self, *exc_info) -> None:
        _batch.reset(self._token)
        self.close()

    def message(self, pk: str) -> Message:
        return self.messages.get(str(pk)) or Message.objects.get(pk=pk)

    def lead_triaged(self, message: Message) -> Lead | None:
        """The message's lead after triage, which runs once for every staff notification of the
        batch (one pass of the intent model, one commit); a failure leaves it to the next job."""
        from contact.triage import message_triage, messages_triage

        if str(message.pk) not in self.messages:
            return message_triage(message=message)
        if self.triaged is None:
            staff = {str(job.payload.get("message_id")) for job in self.jobs if job.kind == JobKind.STAFF_EMAIL and isinstance(job.payload, dict)}
            self.triaged = messages_triage(messages=[m for pk, m in self.messages.items() if pk in staff])
        return self.triaged.get(message.pk)

    def staff_subscriptions(self) -> list[PushSubscription]:
        """The staff's push subscriptions, read once for the batch."""
        from contact.outbox import staff_push_subscriptions

        if self.subscriptions is None:
            self.subscriptions = staff_push_subscriptions()
        return self.subscriptions

    def send(self, mail: EmailMessage) -> None:
        reused = self.connection is not None and self.sent_on_connection > 0
        try:
            self._send(mail)
        except (smtplib.SMTPServerDisconnected, smtplib.SMTPResponseException, ConnectionError) as exc:
            dropped = not isinstance(exc, smtplib.SMTPResponseException) or exc.smtp_code == 421  # 421: closing
            if not (reused and dropped):
                raise
            logger.info("mail connection dropped after %d mails (%s); sending on a new one", self.sent_on_connection, exc)
            self._send(mail)

    def _send(self, mail: EmailMessage) -> None:
        if self.connection is None:
            connection = get_connection()
            connection.open()
            self.connection, self.sent_on_connection = connection, 0
            self.connections_opened += 1
        mail.connection = self.connection
        try:
            mail.send()
        except Exception:
            self.close()  # in an unknown state (a 4xx/5xx may have left a transaction open): start afresh
            raise
        self.sent_on_connection += 1

    def close(self) -> None:
        if self.connection is not None:
            connection, self.connection = self.connection, None
            try:
                connection.close()
            except (smtplib.SMTPException, OSError):  # already broken: nothing left to close politely
                pass


_batch: ContextVar[DeliveryBatch | None] = ContextVar("outbox_delivery_batch", default=None)


def _object_id(value: str) -> bool:
    return len(value) == 24 and all(c in "0123456789abcdef" for c in value.lower())


def _message(pk: str) -> Message:
    batch = _batch.get()
    return batch.message(pk) if batch else Message.objects.get(pk=pk)


def _send(mail: EmailMessage) -> None:
    batch = _batch.get()
    if batch:
        batch.send(mail)
    else:
        mail.send()


def mail_domain() -> str:
    """The domain of DEFAULT_FROM_EMAIL's address, for the Message-IDs of the mail we send."""
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or settings.INBOUND_EMAIL_DOMAIN


def mail_message_id() -> str:
    """A new Message-ID (with its angle brackets), made once per mail when its job is enqueued."""
    return make_msgid(domain=mail_domain())


def from_address(display_name: str = "") -> str:
    """DEFAULT_FROM_EMAIL, under another display name when one is given (properly quoted)."""
    if not display_name:
        return settings.DEFAULT_FROM_EMAIL
    return formataddr((" ".join(display_name.split())[:120], parseaddr(settings.DEFAULT_FROM_EMAIL)[1]))


def _send_mail(
    *, to: list[str], subject: str, template: str, context: dict, reply_to: list[str] | None = None,
    message_id: str = "", in_reply_to: str = "", references: list[str] | None = None, from_name: str = "",
    auto_submitted: bool = False,
) -> None:
    headers = {"Message-ID": message_id or mail_message_id()}
    if in_reply_to:
        headers["In-Reply-To"] = in_reply_to
    if references:
        headers["References"] = " ".join(references)
    if auto_submitted:
        headers["Auto-Submitted"] = "auto-generated"
    mail = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"{template}.txt", context),
        from_email=from_address(from_name),
        to=to,
        reply_to=reply_to,
        headers=headers,
    )
    mail.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    _send(mail)


def _lead_url(message: Message) -> str:
    return f"{settings.SITE_URL}{message.lead.get_absolute_url()}" if message.lead else settings.SITE_URL


def deliver_staff_email(payload: MessagePayload) -> None:
    """The staff's email about a new message: triage first (intent, routing), so the mail names the
    assignee, then its pushes to the staff's devices (idempotent by key: a retry of this job enqueues
    none twice). Reads by _id (or one $in each for a whole batch), not select_related(): its $lookup
    joins every message to its lead before filtering on _id (issue 15)."""
    from contact.outbox import message_pushes_enqueue, staff_push_subscriptions  # contact.outbox imports this module
    from contact.triage import message_triage

    message = _message(payload.message_id)
    batch = _batch.get()
    lead = batch.lead_triaged(message) if batch else message_triage(message=message)
    if lead is not None:
        message.lead = lead
    message_pushes_enqueue(message=message, subscriptions=batch.staff_subscriptions() if batch else staff_push_subscriptions())
    if not settings.CONTACT_NOTIFY_EMAILS:
        return
    subject = " ".join(f"New {message.get_kind_display().lower()} from {message.name}: {message.subject}".split())
    if message.spam_review:
        subject = f"[Needs review] {subject}"
    _send_mail(
        to=settings.CONTACT_NOTIFY_EMAILS,
        subject=subject[:200],
        template="contact/email/staff_notification",
        context={"message": message, "lead": message.lead, "lead_url": _lead_url(message)},
        reply_to=[message.email],
        message_id=payload.mail_message_id,
        auto_submitted=True,
    )


def deliver_visitor_email(payload: MessagePayload) -> None:
    """A thank-you that repeats only the visitor's name, so it cannot carry spam to third parties."""
    message = _message(payload.message_id)
    _send_mail(
        to=[message.email],
        subject="We received your message – Maniva Digital",
        template="contact/email/visitor_confirmation",
        context={"name": message.name, "kind": message.kind},
        reply_to=[reply_address(lead_id=message.lead_id)] if message.lead_id else None,
        message_id=payload.mail_message_id,
        auto_submitted=True,
    )


def deliver_push(payload: PushPayload) -> None:
    subscription = PushSubscription.objects.filter(pk=payload.subscription_id).first()
    if subscription is None:
        return
    try:
        push_send(subscription=subscription, title=payload.title, body=payload.body, url=payload.url)
    except SubscriptionGone:
        subscription.delete()
    except EndpointRefused as exc:
        # Refused for good (not https, or it now resolves inside): retrying cannot help, and a
        # subscription that was checked when stored and now leads inside deserves a look.
        logger.warning("push subscription %s of user %s refused at send time and deleted: %s (%s)", subscription.pk, subscription.user_id, exc, subscription.endpoint)
        subscription.delete()


def deliver_email(payload: EmailPayload) -> None:
    _send_mail(
        to=payload.to, subject=payload.subject, template=payload.template, context=payload.context, reply_to=payload.reply_to,
        message_id=payload.message_id, in_reply_to=payload.in_reply_to, references=payload.references,
        from_name=payload.from_name, auto_submitted=payload.auto_submitted,
    )


JOB_TYPES: dict[JobKind, JobType] = {
    JobKind.STAFF_EMAIL: JobType(MessagePayload, deliver_staff_email),
    JobKind.VISITOR_EMAIL: JobType(MessagePayload, deliver_visitor_email),
    JobKind.PUSH: JobType(PushPayload, deliver_push),
    JobKind.EMAIL: JobType(EmailPayload, deliver_email),
}


def job_type(kind: str) -> JobType:
    try:
        return JOB_TYPES[JobKind(kind)]
    except (ValueError, KeyError):
        raise LookupError(f"no job type for kind {kind!r}") from None


def job_run(job: OutboxJob) -> None:
    """Run one claimed job through its kind's handler; any exception is the worker's to retry."""
    kind = job_type(job.kind)
    kind.handler(kind.load(job.payload))
