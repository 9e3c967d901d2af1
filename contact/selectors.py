"""Reads of intake data shared by the site, the CRM and the commands: the lead store's reads (its
collections, the inbox fields and CSV columns), the outbox's state, caught mail."""
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from bson import ObjectId
from django.conf import settings
from django.db.models import Count

from contact.leads import (  # the lead store's reads, for the CRM and analytics
    CSV_COLUMNS,
    INBOX_FIELDS,
    INBOX_PROJECTION,
    lead_collection,
    message_collection,
    message_ids_of,
)
from contact.lead_counts import lead_status_counts  # noqa: F401  (leads per status, maintained)
from contact.duplicates import Duplicate, lead_duplicates, lead_merged_into  # noqa: F401 (the CRM's reads)
from contact.mailcatch import NAME_RE
from contact.models import FormKind, Lead, LeadStatus, Message, OutboxJob, OutboxStatus, PushSubscription


def outbox_counts() -> dict[str, int]:
    counts = {status.value: 0 for status in OutboxStatus}
    for row in OutboxJob.objects.values("status").annotate(n=Count("id")):
        counts[row["status"]] = row["n"]
    return counts


def outbox_dead_letters(*, limit: int = 200) -> list[OutboxJob]:
    return list(OutboxJob.objects.filter(status=OutboxStatus.DEAD).order_by("-run_after", "-pk")[:limit])


def outbox_statuses(*, ids: list[str]) -> dict[str, str]:
    """Status of each outbox job by id (as a string); ids of jobs no longer stored are left out."""
    ids = [i for i in ids if ObjectId.is_valid(i)]
    if not ids:
        return {}
    return {str(pk): status for pk, status in OutboxJob.objects.filter(pk__in=ids).values_list("pk", "status")}


@dataclass(frozen=True)
class CaughtMail:
    name: str
    caught_at: datetime
    sender: str
    to: str
    subject: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    text: str = ""
    parts: list[str] = field(default_factory=list)  # the content type of every leaf part


def _caught_dir() -> Path:
    return Path(settings.MAIL_CATCH_DIR)


def _caught_at(name: str) -> datetime:
    return datetime.strptime(name[:22], "%Y%m%dT%H%M%S.%f").replace(tzinfo=timezone.utc)


def _text_of(mail: EmailMessage) -> str:
    body = mail.get_body(preferencelist=("plain",))
    if body is None:
        return ""
    try:
        return body.get_content()
    except (LookupError, UnicodeError):  # an unknown or lying charset
        return (body.get_payload(decode=True) or b"").decode("utf-8", "replace")


def _caught_read(path: Path, *, full: bool) -> CaughtMail:
    with open(path, "rb") as file:
        mail = BytesParser(policy=policy.default).parse(file, headersonly=not full)
    return CaughtMail(
        name=path.name,
        caught_at=_caught_at(path.name),
        sender=str(mail.get("From", "")),
        to=", ".join(str(mail.get(h, "")) for h in ("To", "Cc") if mail.get(h)),
        subject=str(mail.get("Subject", "")),
        headers=[(key, str(value)) for key, value in mail.items()] if full else [],
        text=_text_of(mail) if full else "",
        parts=[part.get_content_type() for part in mail.walk() if not part.is_multipart()] if full else [],
    )


def caught_mails_list(*, limit: int = 200) -> tuple[list[CaughtMail], int]:
    """The newest caught mails (headers only), newest first, and how many there are in all."""
    directory = _caught_dir()
    names = sorted((p.name for p in directory.iterdir() if NAME_RE.fullmatch(p.name)), reverse=True) if directory.is_dir() else []
    mails = []
    for name in names[:limit]:
        try:
            mails.append(_caught_read(directory / name, full=False))
        except FileNotFoundError:  # deleted while we listed
            continue
    return mails, len(names)


def caught_mail_get(*, name: str) -> CaughtMail | None:
    """One caught mail in full, or None when the name is not a caught mail's name or the file is gone."""
    if not NAME_RE.fullmatch(name):
        return None
    path = _caught_dir() / name
    try:
        return _caught_read(path, full=True)
    except (FileNotFoundError, IsADirectoryError):
        return None


def leads_get(*, ids: Iterable, for_display: bool = False) -> dict:
    """{id: lead} in one read by _id however many ids; `for_display` leaves out the search terms
    (a lead read only to be shown is never saved)."""
    leads = Lead.objects.defer("search_terms") if for_display else Lead.objects.all()
    return leads.in_bulk(set(ids))


# Reads here name related rows by id instead of select_related(): django-mongodb-backend puts the
# join's $lookup before the $match, so the server joins every document of the collection first
# (a lead's page cost 0.6 s at 3,000 leads, growing with them: benchmarks/crm_pages.py).
def lead_get(*, pk: str) -> Lead | None:
    """One lead (search terms left out; its assignee is read when asked for), or None for an
    unknown or malformed id."""
    if not ObjectId.is_valid(pk):
        return None
    return Lead.objects.defer("search_terms").filter(pk=pk).first()


def messages_of(*, lead_id, fields: tuple[str, ...] = (), oldest_first: bool = False) -> list[Message]:
    """A lead's messages, newest first (or oldest first), ties by id; `fields` limits what is read."""
    order = ("received_at", "pk") if oldest_first else ("-received_at", "-pk")
    messages = Message.objects.filter(lead_id=lead_id).order_by(*order)
    return list(messages.only(*fields) if fields else messages)


def lead_thread_headers(*, lead_id) -> tuple[str, list[str]]:
    """In-Reply-To and References (each with angle brackets) for a new mail to this lead: it answers
    the lead's latest mail, either way, whose own references it carries on (the last 10)."""
    last = (
        Message.objects.filter(lead_id=lead_id, kind=FormKind.EMAIL, mail_message_id__isnull=False)
        .exclude(mail_message_id__startswith="sha256:")  # a mail without a Message-ID of its own
        .order_by("-received_at", "-pk")
        .only("mail_message_id", "mail_references")
        .first()
    )
    if last is None:
        return "", []
    ids = [*(str(r) for r in last.mail_references or []), last.mail_message_id]
    wrapped = [f"<{i.strip().strip('<>')}>" for i in ids if i and i.strip().strip("<>")]
    return wrapped[-1], wrapped[-10:]


# Served inline-safe types keep their type; anything else (HTML, SVG, scripts, unknown) is served
# as application/octet-stream. Every download is an attachment with nosniff besides.
ATTACHMENT_SAFE_TYPES = frozenset({
    "application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp", "text/plain", "text/csv",
    "application/zip", "application/msword", "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
})


@dataclass(frozen=True)
class AttachmentFile:
    filename: str
    content_type: str  # safe to send: one of ATTACHMENT_SAFE_TYPES or application/octet-stream
    data: bytes


def lead_attachment_get(*, lead_id, file_id: str) -> AttachmentFile | None:
    """An attachment's bytes, only when `file_id` is an attachment of a message of this lead (so an
    id from elsewhere, a raw mail's id or another lead's file, is never served); else None."""
    if not ObjectId.is_valid(str(lead_id)) or not isinstance(file_id, str) or not ObjectId.is_valid(file_id):
        return None
    lead_column = Message._meta.get_field("lead").column
    attachments_column = Message._meta.get_field("attachments").column
    doc = message_collection().find_one(
        {lead_column: ObjectId(str(lead_id)), f"{attachments_column}.file_id": file_id}, {attachments_column: 1}
    )
    meta = next((a for a in (doc or {}).get(attachments_column) or [] if a.get("file_id") == file_id), None)
    if meta is None:
        return None
    from contact.inbound import mail_file_read  # GridFS, the inbound path's store of files

    data = mail_file_read(file_id=file_id)
    if data is None:
        return None
    content_type = str(meta.get("content_type", "")).lower()
    return AttachmentFile(
        filename=str(meta.get("filename") or "attachment"),
        content_type=content_type if content_type in ATTACHMENT_SAFE_TYPES else "application/octet-stream",
        data=data,
    )


def message_collection_name() -> str:
    return Message._meta.db_table


def lead_collection_name() -> str:
    return Lead._meta.db_table


def intent_labelled_texts() -> list[tuple[str, str]]:
    """(text, intent) of every message staff gave an intent, oldest first: the intent model's
    training data. The text is the subject and the message joined by a newline, as triage scores it."""
    rows = message_collection().find({"intent_label": {"$gt": ""}}, {"subject": 1, "message": 1, "intent_label": 1, "received_at": 1})
    return [(f"{r.get('subject', '')}\n{r.get('message', '')}", r["intent_label"]) for r in sorted(rows, key=lambda r: (r["received_at"], r["_id"]))]


def intent_labels_stamp() -> datetime | None:
    """When staff last set a lead's intent (None if never): the intent model retrains when it moves."""
    doc = lead_collection().find_one({"intent_set_at": {"$gt": datetime(1970, 1, 1)}}, {"intent_set_at": 1}, sort=[("intent_set_at", -1)])
    return doc["intent_set_at"] if doc else None


def open_leads_per_assignee(*, user_ids: list) -> dict:
    """How many open leads (new to proposal, not spam) each of these users holds; 0 for none."""
    open_statuses = [LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.QUALIFIED, LeadStatus.PROPOSAL]
    column = Lead._meta.get_field("assignee").column
    counts = dict.fromkeys(user_ids, 0)
    pipeline = [
        {"$match": {column: {"$in": list(user_ids)}, "status": {"$in": [str(s) for s in open_statuses]}}},
        {"$group": {"_id": f"${column}", "n": {"$sum": 1}}},
    ]
    for row in lead_collection().aggregate(pipeline):
        if row["_id"] in counts:
            counts[row["_id"]] = row["n"]
    return counts


def push_subscriptions_of(*, user) -> list[PushSubscription]:
    """The browsers a staff member subscribed to web push."""
    return list(PushSubscription.objects.filter(user=user))
