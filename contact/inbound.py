"""Inbound mail: the one path by which a mail joins a lead's conversation, whichever way it came in
(the SMTP receiver of run_mailserver, an MTA's pipe into mail_receive, IMAP polling).

A mail is parsed leniently (a malformed one is stored with what could be read, its raw bytes
kept), stored once (unique on its Message-ID, or on a hash of its bytes when it has none),
matched to a lead (In-Reply-To/References against the Message-IDs of our own mail, then the
signed reply address, then the sender's address, else a new lead through the intake's rules),
and, when a person wrote it, marks the lead as awaiting our reply and tells the assignee.

No inbound mail is ever answered automatically: the only mail it causes goes to staff, marked
Auto-Submitted, so a mail loop cannot start here. Auto-replies and bounces are recorded and
nothing more.
"""
import hashlib
import logging
import mimetypes
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses
from html.parser import HTMLParser

import gridfs
from bson import ObjectId
from bson.errors import InvalidId
from django.conf import settings
from django.db import IntegrityError, connection
from django.utils import timezone

from contact import ratelimit
from contact.forms import normalise_email
from contact.leads import (
    INTAKE_FIELDS,
    lead_by_email,
    lead_ids_by_mail_ids,
    lead_mail_received,
    lead_record_message,
    lead_upsert,
    message_by_mail_id,
    message_insert,
    message_update,
)
from contact.models import Direction, FormKind, Lead, Message, PushSubscription
from contact.outbox import email_enqueue, job_lead_by_mail_id, pushes_enqueue
from contact.replytoken import lead_id_from_reply_address
from contact.search import search_terms
from contact.spam import SpamVerdict, mail_spam_verdict

logger = logging.getLogger(__name__)

BUCKET = "mail_files"  # GridFS: <BUCKET>.files and <BUCKET>.chunks
MAX_ATTACHMENTS = 30
MAX_BODY_CHARS = 200_000  # the full text kept on the message (the raw mail is in GridFS whole)
MAX_DISPLAY_CHARS = 5000  # Message.message, as the form's limit
MAX_ID_CHARS = 240
AUTOMATIC_SENDERS = {"mailer-daemon", "postmaster", "noreply", "no-reply", "do-not-reply", "donotreply"}
# Parts of a delivery report that say what happened to a mail: they stay in the raw mail only.
REPORT_PARTS = {"message/delivery-status", "text/rfc822-headers", "message/disposition-notification", "message/feedback-report"}


class MailRefused(Exception):
    """A mail not taken: `code` is the SMTP reply code (5xx: for good, 4xx: try again later)."""

    def __init__(self, reason: str, *, code: int = 552, status: str = "5.3.4") -> None:
        super().__init__(reason)
        self.reason, self.code, self.status = reason, code, status

    @property
    def smtp_reply(self) -> str:
        return f"{self.code} {self.status} {self.reason}"

    @property
    def temporary(self) -> bool:
        return 400 <= self.code < 500


@dataclass(frozen=True)
class InboundResult:
    message: Message
    duplicate: bool = False
    matched_by: str = ""  # "in_reply_to", "token", "sender", "new", or "" (no lead: an unmatched bounce)


@dataclass
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass
class ParsedMail:
    message_id: str = ""  # without angle brackets
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    from_name: str = ""
    from_email: str = ""
    recipients: list[str] = field(default_factory=list)  # To, Cc, Delivered-To, X-Original-To and the envelope's
    subject: str = ""
    text: str = ""
    locale: str = ""
    automatic: bool = False
    attachments: list[Attachment] = field(default_factory=list)
    refused_attachments: list[str] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)


# --- Reading a mail ------------------------------------------------------------------------------


def _raw_headers(mail: EmailMessage, name: str) -> list[str]:
    """Every value of a header as it stands in the mail, unparsed (for a header too broken to parse)."""
    return [str(value) for key, value in mail.raw_items() if key.lower() == name.lower()]


def _headers(mail: EmailMessage, name: str) -> list[str]:
    """Every value of a header, RFC 2047 words decoded; never raises."""
    try:
        return [" ".join(str(value).split()) for value in mail.get_all(name, [])]
    except Exception:  # the email package raises a variety of errors on broken headers
        return [" ".join(value.split()) for value in _raw_headers(mail, name)]


def _header(mail: EmailMessage, name: str) -> str:
    values = _headers(mail, name)
    return values[0] if values else ""


def _ids(values: Iterable[str]) -> list[str]:
    """Message-IDs without their angle brackets, in order, once each (a bare id is taken as one)."""
    found: dict[str, None] = {}
    for value in values:
        ids = re.findall(r"<([^<>\s]+)>", value) or ([value.strip()] if value.strip() and " " not in value.strip() else [])
        for mail_id in ids:
            if len(mail_id) <= MAX_ID_CHARS:
                found.setdefault(mail_id, None)
    return list(found)


def _addresses(values: Iterable[str]) -> list[tuple[str, str]]:
    try:
        return [(name, addr) for name, addr in getaddresses(list(values)) if addr]
    except Exception:
        return []


def _is_automatic(mail: EmailMessage, from_email: str, envelope_from: str | None) -> bool:
    """An auto-reply, a bounce or a list mail (RFC 3834, RFC 3464 and the usual vendor headers)."""
    auto_submitted = _header(mail, "Auto-Submitted").split(";")[0].strip().lower()
    if auto_submitted and auto_submitted != "no":
        return True
    if _header(mail, "Precedence").lower() in {"bulk", "junk", "list", "auto_reply"}:
        return True
    if any(_header(mail, name) for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponder", "List-Id")):
        return True
    if mail.get_content_type() == "multipart/report":
        return True
    if from_email.partition("@")[0].lower() in AUTOMATIC_SENDERS:
        return True
    if envelope_from is not None and envelope_from.strip("<> ") == "":  # the null sender of bounces
        return True
    return "<>" in [value.strip() for value in _headers(mail, "Return-Path")]


def _part_text(part: EmailMessage) -> str:
    if part.get_param("charset") is None:  # none declared: UTF-8 is likelier today than RFC 2045's ASCII
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            return payload.decode("utf-8", "replace")
    try:
        return part.get_content()
    except Exception:  # an unknown charset, a broken transfer encoding
        payload = part.get_payload(decode=True) or b""
        return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else str(payload)


def _body_part(mail: EmailMessage) -> EmailMessage | None:
    try:
        body = mail.get_body(preferencelist=("plain", "html"))
    except Exception:
        body = None
    if body is None and not mail.is_multipart() and mail.get_content_maintype() == "text":
        body = mail
    return body


def _attachment_parts(part: EmailMessage, body: EmailMessage | None) -> Iterator[EmailMessage]:
    if part is body:
        return
    content_type = part.get_content_type()
    if content_type == "message/rfc822":  # a forwarded mail, attached whole
        yield part
        return
    if part.is_multipart():
        for sub in part.iter_parts():
            yield from _attachment_parts(sub, body)
        return
    if content_type in REPORT_PARTS:
        return
    try:
        named = bool(part.get_filename()) or part.is_attachment()
    except Exception:
        named = True
    if named or content_type not in ("text/plain", "text/html"):  # the other text is the body's alternative
        yield part


def _safe_filename(name: str | None, content_type: str, index: int) -> str:
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>:|?*').strip(" .")[:150]
    return name or f"attachment-{index}{mimetypes.guess_extension(content_type) or '.bin'}"


def _attachment_type_allowed(content_type: str) -> bool:
    return content_type in {value.strip().lower() for value in settings.INBOUND_ATTACHMENT_TYPES}


def _attachments(mail: EmailMessage, body: EmailMessage | None, parsed: ParsedMail) -> None:
    for index, part in enumerate(_attachment_parts(mail, body), start=1):
        content_type = part.get_content_type().lower()
        try:
            filename = _safe_filename(part.get_filename(), content_type, index)
        except Exception:
            filename = _safe_filename("", content_type, index)
        if content_type == "message/rfc822":
            inner = part.get_payload()
            try:
                data = (inner[0] if isinstance(inner, list) else inner).as_bytes(policy=policy.SMTP)
            except Exception:
                data = b""
            if not part.get_filename():
                filename = f"forwarded-{index}.eml"
        else:
            data = part.get_payload(decode=True) or b""
        if not _attachment_type_allowed(content_type) or len(parsed.attachments) >= MAX_ATTACHMENTS:
            parsed.refused_attachments.append(f"{filename} ({content_type})")
            continue
        parsed.attachments.append(Attachment(filename=filename, content_type=content_type, data=data))


def mail_parse(raw: bytes, *, envelope_from: str | None = None, envelope_to: Sequence[str] = ()) -> ParsedMail:
    """What can be read of a mail. Never raises: a part that cannot be read is left out and the
    reason noted in `defects` (the raw bytes are stored beside it in any case)."""
    parsed = ParsedMail()
    try:
        mail = message_from_bytes(raw, policy=policy.default)
    except Exception as exc:  # pragma: no cover - the parser is lenient; kept so a receiver never crashes
        parsed.defects.append(f"unparsable: {exc!r}")
        parsed.text = raw.decode("utf-8", "replace")[:MAX_BODY_CHARS]
        parsed.automatic = envelope_from is not None and envelope_from.strip("<> ") == ""
        return parsed
    parsed.defects.extend(type(defect).__name__ for defect in mail.defects)
    parsed.message_id = next(iter(_ids(_headers(mail, "Message-ID"))), "")
    parsed.in_reply_to = _ids(_headers(mail, "In-Reply-To"))
    parsed.references = _ids(" ".join(_headers(mail, "References")).split())
    senders = _addresses(_headers(mail, "From")) or _addresses(_headers(mail, "Sender"))
    if senders:
        parsed.from_name, from_email = senders[0]
        if re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", from_email):
            parsed.from_email = normalise_email(from_email)[:254]
    parsed.from_name = " ".join(parsed.from_name.split())[:120]
    headers = [value for name in ("To", "Cc", "Delivered-To", "X-Original-To") for value in _headers(mail, name)]
    parsed.recipients = [addr for _, addr in _addresses([*headers, *envelope_to])]
    parsed.subject = " ".join(_header(mail, "Subject").split())
    parsed.locale = _header(mail, "Content-Language")[:40]
    parsed.automatic = _is_automatic(mail, parsed.from_email, envelope_from)
    try:
        body = _body_part(mail)
        if body is not None:
            text = _part_text(body)
            parsed.text = html_to_text(text) if body.get_content_subtype() == "html" else text
    except Exception as exc:
        parsed.defects.append(f"body: {exc!r}")
        body = None
    parsed.text = parsed.text.replace("\r\n", "\n").replace("\r", "\n").strip()[:MAX_BODY_CHARS]
    try:
        _attachments(mail, body, parsed)
    except Exception as exc:
        parsed.defects.append(f"attachments: {exc!r}")
    return parsed


# --- HTML to text, and the quoted history trimmed --------------------------------------------------

_BLOCK_TAGS = {
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "footer", "form", "h1", "h2", "h3",
    "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table", "tr", "ul",
}
_SKIPPED_TAGS = {"head", "script", "style", "template", "title", "noscript", "svg", "object", "iframe"}
_QUOTE_IN, _QUOTE_OUT = "\x00quote-in\x00", "\x00quote-out\x00"


_PARAGRAPH_TAGS = {"blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "ol", "p", "pre", "table", "ul", "hr"}
_LINE, _PARAGRAPH = "\x01", "\x02"  # breaks between blocks, merged so that nested blocks make one break
_BREAKS = re.compile(r"[ \t]*[\x01\x02][\x01\x02 \t]*")


class _TextExtractor(HTMLParser):
    """The text of an HTML mail as a reader sees it: blocks on lines of their own, blockquotes as
    "> " lines (so the quoted history is trimmed as in a plain-text mail), nothing of scripts,
    styles or markup. The result is plain text: the templates escape it like any other."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skipping = 0
        self.pre = 0

    def _break(self, tag: str) -> None:
        self.out.append(_PARAGRAPH if tag in _PARAGRAPH_TAGS else _LINE)

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in _SKIPPED_TAGS:
            self.skipping += 1
        elif tag == "br":
            self.out.append("\n")
        elif tag == "blockquote":
            self.out.append(f"{_PARAGRAPH}{_QUOTE_IN}{_PARAGRAPH}")
        elif tag in _BLOCK_TAGS:
            self._break(tag)
        elif tag in ("td", "th"):
            self.out.append(" ")
        if tag == "pre":
            self.pre += 1

    def handle_startendtag(self, tag: str, attrs) -> None:
        if tag == "br":
            self.out.append("\n")
        elif tag == "hr":
            self._break(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS:
            self.skipping = max(0, self.skipping - 1)
        elif tag == "blockquote":
            self.out.append(f"{_PARAGRAPH}{_QUOTE_OUT}{_PARAGRAPH}")
        elif tag in _BLOCK_TAGS and tag != "br":
            self._break(tag)
        if tag == "pre":
            self.pre = max(0, self.pre - 1)

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.out.append(data if self.pre else re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    parser = _TextExtractor()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # html.parser is lenient; anything else leaves what was read so far
        pass
    text = _BREAKS.sub(lambda m: "\n\n" if _PARAGRAPH in m.group() else "\n", "".join(parser.out).replace("\xa0", " "))
    rows: list[tuple[int, str]] = []  # (quote depth, text) of each line
    depth = 0
    for line in text.split("\n"):
        if line.strip() == _QUOTE_IN:
            depth += 1
        elif line.strip() == _QUOTE_OUT:
            depth = max(0, depth - 1)
        else:
            rows.append((depth, line.strip()))
    lines: list[str] = []
    for i, (row_depth, line) in enumerate(rows):
        if line:
            lines.append("> " * row_depth + line)
            continue
        before = next((d for d, t in reversed(rows[:i]) if t), None)
        after = next((d for d, t in rows[i + 1 :] if t), None)
        if before is None or after is None or (lines and lines[-1].strip(">") == ""):
            continue  # no blank line at either end, nor two in a row
        lines.append(">" * min(before, after))
    return "\n".join(lines).strip()


_WROTE = re.compile(
    r"^(On\b.{0,300}\bwrote|Le\b.{0,300}\ba écrit|Am\b.{0,300}\bschrieb.{0,120}|El\b.{0,300}\bescribió"
    r"|Em\b.{0,300}\bescreveu|Il\b.{0,300}\bha scritto|Op\b.{0,300}\bschreef.{0,120})\s*:\s*$",
    re.IGNORECASE,
)
_SEPARATORS = re.compile(r"^(-{2,}\s*Original Message\s*-{2,}|_{10,}|-{5,}\s*Ursprüngliche Nachricht\s*-{5,})$", re.IGNORECASE)
_FORWARDED = re.compile(r"^(-{2,}\s*Forwarded message\s*-{2,}|Begin forwarded message:|-{2,}\s*Weitergeleitete Nachricht\s*-{2,})$", re.IGNORECASE)
_HEADER_FROM = re.compile(r"^\*?(From|Von|De)\s*:\*?\s", re.IGNORECASE)
_HEADER_NEXT = re.compile(r"^\*?(Sent|Date|Gesendet|Envoyé|Enviado)\s*:\*?\s", re.IGNORECASE)
_MOBILE = re.compile(r"^(Sent from my \w+|Get Outlook for \w+)", re.IGNORECASE)


def reply_trim(text: str) -> str:
    """The new part of a reply, for display: the quoted history ("On … wrote:", Outlook's
    "-----Original Message-----" or "From: … Sent: …" block, trailing "> " lines) and the signature
    ("-- ") cut off. A forwarded mail keeps what it forwards. Never returns nothing when there
    was text: a mail that is all quote is shown whole."""
    lines = text.split("\n")
    cut = len(lines)
    for i, line in enumerate(lines):
        stripped = line.strip()
        if _FORWARDED.match(stripped):
            break
        if line.rstrip() in ("--", "-- ") or _SEPARATORS.match(stripped) or _MOBILE.match(stripped):
            cut = i
            break
        if _WROTE.match(stripped) or (i + 1 < len(lines) and _WROTE.match(f"{stripped} {lines[i + 1].strip()}")):
            if not stripped.startswith(">"):
                cut = i
                break
        if _HEADER_FROM.match(stripped) and any(_HEADER_NEXT.match(next_line.strip()) for next_line in lines[i + 1 : i + 4]):
            cut = i
            break
    kept = lines[:cut]
    while kept and (not kept[-1].strip() or kept[-1].lstrip().startswith(">")):
        kept.pop()
    trimmed = "\n".join(kept).strip()
    return trimmed or text.strip()


# --- Files in GridFS ------------------------------------------------------------------------------


def _bucket() -> gridfs.GridFSBucket:
    connection.ensure_connection()
    return gridfs.GridFSBucket(connection.database, bucket_name=BUCKET)


def mail_file_put(*, data: bytes, filename: str, content_type: str) -> str:
    return str(_bucket().upload_from_stream(filename, data, metadata={"content_type": content_type}))


def mail_file_read(*, file_id: str) -> bytes | None:
    """A stored file's bytes (an attachment, or a raw mail), or None when there is no such file."""
    try:
        return _bucket().open_download_stream(ObjectId(file_id)).read()
    except (InvalidId, TypeError, gridfs.errors.NoFile):
        return None


def mail_files_delete(*, file_ids: Iterable[str]) -> int:
    bucket, count = _bucket(), 0
    for file_id in file_ids:
        try:
            bucket.delete(ObjectId(file_id))
            count += 1
        except (InvalidId, TypeError, gridfs.errors.NoFile):
            pass
    return count



# --- Matching a mail to a lead ---------------------------------------------------------------------


def _lead_by_thread(parsed: ParsedMail) -> Lead | None:
    """The lead of the mail of ours this one answers: a staff reply (an outbound message) or a
    confirmation (its Message-ID is in its outbox job's payload)."""
    mail_ids = [*parsed.in_reply_to, *reversed(parsed.references)]
    if not mail_ids:
        return None
    lead_ids = lead_ids_by_mail_ids(mail_ids=mail_ids, direction=Direction.OUT)
    if not lead_ids and (lead_id := job_lead_by_mail_id(mail_ids=mail_ids)):
        lead_ids = [lead_id]
    return Lead.objects.filter(pk=lead_ids[0]).first() if lead_ids else None


def _lead_by_token(parsed: ParsedMail) -> Lead | None:
    for address in parsed.recipients:
        lead_id = lead_id_from_reply_address(address)
        if lead_id and (lead := Lead.objects.filter(pk=ObjectId(lead_id)).first()):
            return lead
    return None


def _rate_limit(*, email: str, key: str) -> None:
    limit, window = settings.CONTACT_RATE_LIMITS["email"]
    try:
        ratelimit.hit(scope="email", key=email, limit=limit, window=window, token=key)
    except ratelimit.RateLimited:
        raise MailRefused("too many messages from this sender; try again later", code=451, status="4.7.1") from None


def _match(parsed: ParsedMail, *, key: str, received_at: datetime) -> tuple[Lead | None, str, SpamVerdict]:
    """The lead, how it was found, and the spam verdict (judged only on mail that answers none of ours)."""
    trusted = SpamVerdict(is_spam=False)
    if lead := _lead_by_thread(parsed):
        return lead, "in_reply_to", trusted
    if lead := _lead_by_token(parsed):
        return lead, "token", trusted
    if not parsed.from_email or parsed.automatic:
        # An unmatched bounce or auto-reply starts no lead; a mail without a sender cannot.
        lead = lead_by_email(email=parsed.from_email) if parsed.from_email else None
        return lead, "sender" if lead else "", trusted
    _rate_limit(email=parsed.from_email, key=key)
    verdict = mail_spam_verdict(
        submission={"name": parsed.from_name, "email": parsed.from_email, "subject": parsed.subject, "message": parsed.text}
    )
    if lead := lead_by_email(email=parsed.from_email):
        return lead, "sender", verdict
    name = parsed.from_name or parsed.from_email.partition("@")[0]
    values = {field.name: "" for field in INTAKE_FIELDS} | {"name": name[:120]}
    lead = lead_upsert(email=parsed.from_email, values=values, received_at=received_at, spam=verdict.is_spam)
    return lead, "new", verdict


# --- Receiving -------------------------------------------------------------------------------------


def mail_key(parsed: ParsedMail, raw: bytes) -> str:
    """What makes a mail the same mail: its Message-ID, or a hash of its bytes when it has none."""
    return parsed.message_id or f"sha256:{hashlib.sha256(raw).hexdigest()}"


def mail_receive(*, raw: bytes, via: str, envelope_from: str | None = None, envelope_to: Sequence[str] = ()) -> InboundResult:
    """Store one inbound mail on its lead (see the module's docstring). Raises MailRefused when the
    mail is too big or its sender over the rate limit; database errors propagate (the caller
    answers "try again later")."""
    if len(raw) > settings.INBOUND_MAX_BYTES:
        raise MailRefused(f"message too big ({len(raw)} bytes; the limit is {settings.INBOUND_MAX_BYTES})")
    parsed = mail_parse(raw, envelope_from=envelope_from, envelope_to=envelope_to)
    key = mail_key(parsed, raw)
    if existing := message_by_mail_id(mail_id=key):
        return InboundResult(message=existing, duplicate=True, matched_by="")
    received_at = timezone.now()
    lead, matched_by, verdict = _match(parsed, key=key, received_at=received_at)
    spam = verdict.is_spam or bool(lead and lead.is_spam)
    genuine = lead is not None and not parsed.automatic and not spam
    raw_file_id = mail_file_put(data=raw, filename=f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.eml", content_type="message/rfc822")
    attachments = [
        {"file_id": mail_file_put(data=a.data, filename=a.filename, content_type=a.content_type), "filename": a.filename,
         "content_type": a.content_type, "size": len(a.data)}
        for a in parsed.attachments
    ]
    display = reply_trim(parsed.text) if parsed.text else ""
    if parsed.refused_attachments:
        display += "\n\n[Attachments not kept (type not allowed): " + ", ".join(parsed.refused_attachments) + "]"
    name = parsed.from_name or parsed.from_email.partition("@")[0] or "(unknown sender)"
    subject = parsed.subject or "(no subject)"
    try:
        message = message_insert(
            lead=lead,
            kind=FormKind.EMAIL,
            direction=Direction.IN,
            name=name[:120],
            email=parsed.from_email,
            subject=subject[:200],
            message=display.strip()[:MAX_DISPLAY_CHARS],
            body_full=parsed.text,
            received_at=received_at,
            locale=parsed.locale,
            is_spam=spam,
            spam_score=verdict.score,
            spam_reasons=verdict.reasons,
            spam_review=verdict.review and not spam,
            search_terms=search_terms(name, parsed.from_email, subject, display),
            mail_message_id=key,
            mail_in_reply_to=(parsed.in_reply_to or [""])[0],
            mail_references=parsed.references[-20:],
            auto_submitted=parsed.automatic,
            attachments=attachments,
            raw_file_id=raw_file_id,
            deliveries_enqueued=not genuine,  # until the notices are enqueued (deliveries_sweep finishes the job)
        )
    except IntegrityError:  # the same mail delivered twice at once: the other delivery stored it
        mail_files_delete(file_ids=[raw_file_id, *(a["file_id"] for a in attachments)])
        return InboundResult(message=Message.objects.get(mail_message_id=key), duplicate=True)
    logger.info("inbound mail %s via %s stored as %s (lead %s, %s)", key, via, message.pk, getattr(lead, "pk", None), matched_by or "unmatched")
    if lead is not None and not parsed.automatic:
        lead_record_message(lead=lead, message=message)
    if genuine:
        lead_mail_received(lead_id=lead.pk, at=received_at)
        inbound_notify(message=message, lead=lead)
    return InboundResult(message=message, matched_by=matched_by)


def inbound_notify(*, message: Message, lead: Lead) -> None:
    """Tell the lead's assignee (or, unassigned, CONTACT_NOTIFY_EMAILS and every staff browser) by
    email and push, through the outbox, once per message. The email is marked Auto-Submitted, so
    no auto-responder answers it and, should it come back here, it is recorded and nothing more."""
    assignee = lead.assignee if lead.assignee_id else None
    active = assignee is not None and assignee.is_active
    recipients = [assignee.email] if active and assignee.email else list(settings.CONTACT_NOTIFY_EMAILS)
    lead_url = f"{settings.SITE_URL}{lead.get_absolute_url()}"
    if recipients:
        email_enqueue(
            key=f"inbound_email:{message.pk}",
            to=recipients,
            subject=" ".join(f"Reply from {message.name}: {message.subject}".split())[:200],
            template="contact/email/inbound_notification",
            context={
                "name": message.name, "email": message.email, "subject": message.subject, "text": message.message,
                "attachments": [a["filename"] for a in message.attachments], "lead_url": lead_url,
            },
            lead=lead,
            auto_submitted=True,
        )
    subscriptions = (
        PushSubscription.objects.filter(user=assignee) if active
        else PushSubscription.objects.filter(user__is_staff=True, user__is_active=True)
    )
    pushes_enqueue(
        subscriptions=subscriptions, key=f"push:inbound:{message.pk}", title=f"Reply from {message.name}", body=message.subject, url=lead_url, lead=lead
    )
    message_update(message_id=message.pk, deliveries_enqueued=True)
