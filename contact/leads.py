"""The lead store: the only code that writes the lead and message collections.

One declaration, LEAD_FIELDS, says how each of a lead's fields behaves: how a submission refreshes
it, whether the CRM inbox shows it, under which header the CSV export carries it. The upsert, the
inbox projection and rows (maniva_crm), the CSV columns and the demo data follow from it; every
other column is stored at its model default. Adding a field to a lead touches the model (and its
migration), one line here, the form that fills it and the templates that show it.

The lead's denormalised inbox fields (search terms, last subject, form kinds) are kept in step
as each message arrives (lead_record_message) and rebuilt from the messages by lead_reindex: the
CRM inbox lists leads but searches what they wrote, so each lead carries the union of its
messages' search terms in one multikey-indexed array, and a search is one indexed query.
"""
from collections.abc import Iterable
from copy import copy
from dataclasses import dataclass
from functools import cache
from datetime import datetime
from typing import Any

from bson import ObjectId
from django.db import connection
from django.db.models import Model
from django_mongodb_backend.transaction import atomic
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from contact.lead_counts import PENDING as STATUS_MOVED, lead_counts_settle, lead_delete
from contact.lead_ids import lead_id_known, lead_id_learn
from contact.dupkeys import lead_keys, text_bands
from contact.models import Direction, Lead, LeadStatus, Message
from contact.search import search_terms
from maniva_webapp.mongo import upsert_and_fetch

MAX_LEAD_TERMS = 2000
INTAKE_KEYS_KEPT = 20  # a lead remembers the idempotency keys of its latest form messages
ALWAYS = "always"  # each submission sets it
GIVEN = "given"  # each submission that carries a value sets it


@dataclass(frozen=True)
class LeadField:
    name: str  # the model field's name
    csv: str = ""  # the CSV export's header ("" = not exported)
    inbox: bool = False  # read for the CRM inbox rows and the export
    intake: str = ""  # how a submission refreshes it: ALWAYS, GIVEN or "" (the store or staff set it)

    @property
    def column(self) -> str:
        return Lead._meta.get_field(self.name).column


# In the CSV export's column order. Fields not listed (phone, first_contacted_at, search_terms) are
# stored at their model default on insert and neither shown in the inbox nor exported.
LEAD_FIELDS: tuple[LeadField, ...] = (
    LeadField("name", csv="name", inbox=True, intake=ALWAYS),
    LeadField("email", csv="email", inbox=True),
    LeadField("company", csv="company", inbox=True, intake=GIVEN),
    LeadField("status", csv="status", inbox=True),
    LeadField("assignee", csv="assignee", inbox=True),
    LeadField("tags", csv="tags", inbox=True),
    LeadField("country", csv="country", inbox=True, intake=GIVEN),
    LeadField("message_count", csv="messages", inbox=True),
    LeadField("last_subject", csv="last subject", inbox=True),
    LeadField("created_at", csv="created", inbox=True),
    LeadField("last_activity_at", csv="last activity", inbox=True),
    LeadField("is_spam", csv="spam", inbox=True),
    LeadField("kinds", inbox=True),
    LeadField("awaiting_reply", inbox=True),
    LeadField("needs_review", inbox=True),
    LeadField("phone", intake=GIVEN),
    LeadField("intent", csv="intent", inbox=True),  # suggested by contact.triage or set by staff
    LeadField("intent_set_at", inbox=True),
)
INBOX_FIELDS = tuple(f for f in LEAD_FIELDS if f.inbox)
INTAKE_FIELDS = tuple(f for f in LEAD_FIELDS if f.intake)
CSV_COLUMNS: dict[str, str] = {f.csv: f.name for f in LEAD_FIELDS if f.csv}  # header -> field, as Saleor's export
INBOX_PROJECTION: dict[str, int] = {"_id": 1, **{f.column: 1 for f in INBOX_FIELDS}}

# The fields of a message that a submission carries; any other name in a submission is an error,
# so a form field whose name matches nothing is refused instead of silently dropped.
MESSAGE_FORM_FIELDS = frozenset(
    {"name", "email", "subject", "message", "phone", "company", "budget", "preferred_date", "time_window", "topic"}
)


class UnknownField(ValueError):
    pass


def lead_collection() -> Collection:
    return connection.get_collection(Lead._meta.db_table)


def message_collection() -> Collection:
    return connection.get_collection(Message._meta.db_table)


@cache
def _defaults(model: type[Model]) -> tuple[dict[str, str], dict[str, object]]:
    """(field name -> column, column -> default as stored) for every non-key column of `model`."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    return {f.name: f.column for f in fields}, {f.column: f.get_db_prep_save(f.get_default(), connection) for f in fields}


def _document(model: type[Model], values: dict) -> dict:
    """Every column of `model` at its default, as an ORM insert would store it, with `values`
    (keyed by field name, stored as given) in their place. An unknown name raises UnknownField."""
    columns, defaults = _defaults(model)
    unknown = set(values) - columns.keys() - {"_id"}
    if unknown:
        raise UnknownField(f"{model.__name__} has no field {', '.join(sorted(unknown))}")
    doc = {"_id": values["_id"]} if "_id" in values else {}
    for name, column in columns.items():
        if name in values:
            doc[column] = values[name]
        else:
            default = defaults[column]
            doc[column] = copy(default) if isinstance(default, (list, dict)) else default
    return doc


def lead_document(**values) -> dict:
    """A lead as stored: every field at its model default unless given."""
    return _document(Lead, values)


def message_document(**values) -> dict:
    """A message as stored: every field at its model default unless given."""
    return _document(Message, values)


def message_fields(submission: dict) -> dict:
    """The submission's values for a Message, keyed by field. Raises UnknownField on a name that is
    not a field a form may fill."""
    unknown = set(submission) - MESSAGE_FORM_FIELDS
    if unknown:
        raise UnknownField(f"a submission carries no field {', '.join(sorted(unknown))}")
    return dict(submission)


def spam_changes(*, status: str, spam: bool) -> dict:
    """A lead is spam exactly when its status is spam: marked spam, its status becomes spam; cleared,
    spam goes back to new and any other status stays."""
    if spam:
        return {"is_spam": True, "status": LeadStatus.SPAM}
    return {"is_spam": False, "status": LeadStatus.NEW if status == LeadStatus.SPAM else status}


def _intake_refresh(values: dict[str, str]) -> dict[str, str]:
    """The columns a submission sets on its lead (the INTAKE_FIELDS it carries, by name)."""
    return {field.column: values.get(field.name, "") for field in INTAKE_FIELDS if field.intake == ALWAYS or values.get(field.name, "")}


def _duplicate_keys(*, email: str, values: dict[str, str]) -> tuple[dict, dict]:
    """A lead's duplicate keys as (those each message refreshes, those set when the lead is created):
    the keys follow the fields they come from."""
    keys = lead_keys(email=email, name=values.get("name", ""), phone=values.get("phone", ""), country=values.get("country", ""))
    refreshed = {"name_key": keys.pop("name_key")}
    if keys["phone_key"]:
        refreshed["phone_key"] = keys["phone_key"]
    return refreshed, keys


def lead_upsert(*, email: str, values: dict[str, str], received_at: datetime, spam: bool) -> Lead:
    """The person behind an email address, created on first contact, refreshed on each message
    with `values` (the INTAKE_FIELDS by name).

    One atomic upsert on the unique email, so concurrent first messages from one person make one lead.
    """
    updates = _intake_refresh(values)
    on_insert = lead_document(
        email=email, created_at=received_at, last_activity_at=received_at, **spam_changes(status=LeadStatus.NEW, spam=spam)
    )
    refreshed_keys, keys = _duplicate_keys(email=email, values=values)
    updates.update(refreshed_keys)
    on_insert.update(keys)
    for key in [*updates, "last_activity_at"]:
        on_insert.pop(key, None)
    collection = lead_collection()
    doc = upsert_and_fetch(
        collection, {"email": email}, {"$set": updates, "$setOnInsert": on_insert, "$max": {"last_activity_at": received_at}}
    )
    if not spam and doc["is_spam"]:
        collection.update_one({"_id": doc["_id"]}, {"$set": {**spam_changes(status=doc["status"], spam=False), STATUS_MOVED: True}})
    return Lead.objects.get(pk=doc["_id"])


def message_insert(**values) -> Message:
    """Store one message (the ORM insert: its unique idempotency key raises IntegrityError on a repeat),
    with the duplicate detector's text bands unless it is a staff reply."""
    if values.get("direction", Direction.IN) != Direction.OUT:
        values.setdefault("text_bands", text_bands(values.get("message", "")))
    return Message.objects.create(**values)


def message_update(*, message_id, **changes) -> int:
    return Message.objects.filter(pk=message_id).update(**changes)


def messages_mark_enqueued(*, message_ids: list) -> None:
    """Mark messages whose deliveries are in the outbox (contact.services.deliveries_sweep)."""
    if message_ids:
        message_collection().update_many({"_id": {"$in": message_ids}}, {"$set": {"deliveries_enqueued": True}})


def lead_terms(*, lead: Lead) -> list[str]:
    return search_terms(lead.name, lead.email, lead.company, *lead.aliases)


def _record_update(*, lead: Lead, kind: str, terms: list[str], subject: str, received_at: datetime, review: bool = False) -> dict:
    terms = list(dict.fromkeys([*lead_terms(lead=lead), *terms]))
    update: dict = {"$inc": {"message_count": 1}, "$addToSet": {"kinds": kind}}
    if len(lead.search_terms) < MAX_LEAD_TERMS:
        update["$addToSet"]["search_terms"] = {"$each": terms}
    if received_at >= lead.last_activity_at:
        update["$set"] = {"last_subject": subject[:200]}
    if review:  # same update: the intake's round trips do not change
        update.setdefault("$set", {})["needs_review"] = True
    return update


def lead_record_message(*, lead: Lead, message: Message) -> None:
    """Count the message on its lead and fold it into the CRM inbox fields, in one update."""
    update = _record_update(
        lead=lead, kind=message.kind, terms=message.search_terms, subject=message.subject, received_at=message.received_at, review=message.spam_review
    )
    lead_collection().update_one({"_id": lead.pk}, update)


def lead_intake_query(*, email: str, key: str, received_at: datetime, spam: bool, intent: str = "") -> dict:
    """lead_intake's upsert filter: the lead by email (index lead_email), in the common case only."""
    query: dict = {
        "email": email,
        "intake_keys": {"$ne": key},
        "last_activity_at": {"$lte": received_at},
        f"search_terms.{MAX_LEAD_TERMS - 1}": {"$exists": False},
    }
    if not spam:
        query["is_spam"] = False  # a message that is not spam clears a spam lead: the general path does that
    if intent:
        query["intent_set_at"] = None  # the model's suggestion never overrides the staff's intent
    return query


def lead_intake(
    *, email: str, values: dict[str, str], received_at: datetime, spam: bool, kind: str, terms: list[str], subject: str, key: str,
    review: bool = False, intent: str = "",
) -> ObjectId:
    """The lead of one form message: created or refreshed as lead_upsert does, and the message
    (idempotency key `key`, stored next) counted on it as lead_record_message does, once per key.
    Returns the lead's _id.

    Usually one upsert, conditional on the common case: the key not yet counted, the lead not
    spam (for a message that is not), no later activity, search terms under the cap. A lead that
    exists and fails a condition makes the upsert collide with it on the unique email (E11000);
    then, or when two first messages race, the general path below reads it and decides (counting
    the key only if it is not already counted). A new lead's _id comes back from the upsert; an
    existing lead's is one read by email through lead_email, projecting _id only, unless this
    process remembers it (contact.lead_ids): then the update names it and needs no read. A suggested
    `intent` is set on the lead unless staff set its intent (such a lead takes the general path)."""
    collection = lead_collection()
    refreshed_keys, keys = _duplicate_keys(email=email, values=values)
    refresh = {**_intake_refresh(values), **refreshed_keys}
    query = lead_intake_query(email=email, key=key, received_at=received_at, spam=spam, intent=intent)
    update = {
        "$set": {**refresh, "last_subject": subject[:200], **({"needs_review": True} if review else {}), **({"intent": intent} if intent else {})},
        "$max": {"last_activity_at": received_at},
        "$inc": {"message_count": 1},
        "$addToSet": {
            "kinds": kind,
            "search_terms": {"$each": list(dict.fromkeys([*search_terms(values.get("name", ""), email, values.get("company", "")), *terms]))},
        },
        "$push": {"intake_keys": {"$each": [key], "$slice": -INTAKE_KEYS_KEPT}},
    }
    touched = {"email", *query, *(field for operator in update.values() for field in operator)}
    on_insert = lead_document(email=email, created_at=received_at, last_activity_at=received_at, **spam_changes(status=LeadStatus.NEW, spam=spam))
    on_insert.update(keys)
    update["$setOnInsert"] = {column: value for column, value in on_insert.items() if column not in touched}
    if (known := lead_id_known(email)) is not None and collection.update_one({"_id": known, **query}, update).matched_count:
        return known  # a returning visitor this process has seen: no read for the _id (contact.lead_ids)
    try:
        result = collection.update_one(query, update, upsert=True)
    except DuplicateKeyError:
        lead = lead_upsert(email=email, values=values, received_at=received_at, spam=spam)
        if key not in lead.intake_keys:
            record = _record_update(lead=lead, kind=kind, terms=terms, subject=subject, received_at=received_at, review=review)
            record["$push"] = {"intake_keys": {"$each": [key], "$slice": -INTAKE_KEYS_KEPT}}
            collection.update_one({"_id": lead.pk, "intake_keys": {"$ne": key}}, record)
            if intent:
                collection.update_one({"_id": lead.pk, "intent_set_at": None}, {"$set": {"intent": intent}})
        lead_id_learn(email, lead.pk)
        return lead.pk
    lead_id = result.upserted_id if result.upserted_id is not None else collection.find_one({"email": email}, {"_id": 1})["_id"]
    lead_id_learn(email, lead_id)
    return lead_id


def lead_reindex(*, lead: Lead) -> None:
    """Rebuild a lead's inbox fields from its messages (backfill, or after messages were removed)."""
    terms: dict[str, None] = dict.fromkeys(lead_terms(lead=lead))
    kinds: dict[str, None] = {}
    last_subject = ""
    received = Message.objects.filter(lead_id=lead.pk).exclude(direction=Direction.OUT)  # not our replies
    for message in received.order_by("received_at", "pk").only("kind", "subject", "search_terms"):
        terms.update(dict.fromkeys(message.search_terms))
        kinds[message.kind] = None
        last_subject = message.subject[:200]
    Lead.objects.filter(pk=lead.pk).update(
        search_terms=list(terms)[:MAX_LEAD_TERMS], kinds=list(kinds), last_subject=last_subject
    )


STAFF_FIELDS = frozenset({"status", "is_spam", "needs_review", "assignee", "tags", "first_contacted_at", "intent", "intent_set_at"})


def lead_update(*, lead_id, **changes) -> None:
    """One single-document update of the fields staff work on (status, spam, assignee, tags, first contact)."""
    unknown = set(changes) - STAFF_FIELDS
    if unknown:
        raise UnknownField(f"staff do not set {', '.join(sorted(unknown))}")
    if "status" in changes:
        changes["count_pending"] = True  # the counts per status follow (contact.lead_counts)
    Lead.objects.filter(pk=lead_id).update(**changes)


def lead_assign_unassigned(*, lead_id, assignee_id) -> bool:
    """Give an unassigned lead to `assignee_id`, in one conditional update (routing: a lead someone
    assigned meanwhile keeps its assignee). True if it applied."""
    column = Lead._meta.get_field("assignee").column
    return lead_collection().update_one({"_id": lead_id, column: None}, {"$set": {column: assignee_id}}).modified_count == 1


@dataclass(frozen=True)
class IntentSuggestion:
    message_id: Any
    lead_id: Any
    intent: str
    score: float


def intents_suggest(*, suggestions: list[IntentSuggestion]) -> None:
    """The intent model's suggestions on messages, and on their leads unless staff set a lead's intent.
    Several go in one transaction: one commit, where each write alone would be a journal flush."""
    if not suggestions:
        return
    with atomic():
        session = connection.session
        for suggestion in suggestions:
            message_collection().update_one(
                {"_id": suggestion.message_id}, {"$set": {"intent": suggestion.intent, "intent_score": suggestion.score}}, session=session
            )
            lead_collection().update_one({"_id": suggestion.lead_id, "intent_set_at": None}, {"$set": {"intent": suggestion.intent}}, session=session)


def messages_intent_label(*, lead_id, intent: str) -> None:
    """The staff's intent on every message the lead sent, the intent model's training data (as messages_label)."""
    Message.objects.filter(lead_id=lead_id).exclude(direction=Direction.OUT).update(intent_label=intent)


def lead_awaiting_set(*, lead_id, awaiting: bool) -> None:
    """A lead awaits our reply (a genuine inbound mail came) or not (staff answered)."""
    Lead.objects.filter(pk=lead_id).update(awaiting_reply=awaiting)


def lead_mail_received(*, lead_id, at: datetime) -> None:
    """A genuine inbound mail on a lead (contact.inbound): it awaits our reply, and its last activity
    moves to `at` (never back), in one update."""
    lead_collection().update_one({"_id": lead_id}, {"$set": {"awaiting_reply": True}, "$max": {"last_activity_at": at}})


def lead_by_email(*, email: str) -> Lead | None:
    """The lead of this address, or the lead it was merged into (through index lead_aliases)."""
    lead = Lead.objects.filter(email=email).first()
    if lead is None and (doc := lead_collection().find_one({"aliases": email}, {"_id": 1})):
        lead = Lead.objects.filter(pk=doc["_id"]).first()
    return lead


def message_by_mail_id(*, mail_id: str) -> Message | None:
    """The message stored under a mail's Message-ID (or raw-bytes hash), through index message_mail_id."""
    return Message.objects.filter(mail_message_id=mail_id).first()


def lead_ids_by_mail_ids(*, mail_ids: list[str], direction: str) -> list:
    """The leads of messages of one direction whose Message-ID is among `mail_ids`, in the order of
    `mail_ids` (the In-Reply-To first, then the References newest first)."""
    found = dict(
        Message.objects.filter(mail_message_id__in=mail_ids, direction=direction, lead__isnull=False).values_list(
            "mail_message_id", "lead_id"
        )
    )
    return [found[mail_id] for mail_id in mail_ids if mail_id in found]


def mail_file_ids_of(*, lead_id) -> list[str]:
    """The GridFS files of a lead's messages (raw mails and attachments), for an erasure."""
    ids = []
    for raw_file_id, attachments in Message.objects.filter(lead_id=lead_id).values_list("raw_file_id", "attachments"):
        ids.extend(file_id for file_id in [raw_file_id, *(a.get("file_id", "") for a in attachments or [])] if file_id)
    return ids


def messages_label(*, lead_id, label: str) -> None:
    """The staff's verdict on every message a lead sent ("spam" or "ham"), the spam model's training
    data; staff replies on its conversation (direction out) are not the lead's words and stay unlabelled."""
    Message.objects.filter(lead_id=lead_id).exclude(direction=Direction.OUT).update(spam_label=label)


def message_ids_of(*, lead_id) -> list:
    return list(Message.objects.filter(lead_id=lead_id).values_list("pk", flat=True))


def person_delete(*, lead_id) -> None:
    """Delete a lead and its messages."""
    Message.objects.filter(lead_id=lead_id).delete()
    lead_delete(lead_id=lead_id)


def leads_insert_many(docs: list[dict], *, batch: int) -> None:
    """Insert ready-made lead documents (lead_document) in batches, for demo data."""
    for doc in docs:
        if not doc.get("mailbox_keys"):
            doc.update(lead_keys(email=doc["email"], name=doc.get("name", ""), phone=doc.get("phone", ""), country=doc.get("country", "")))
    collection = lead_collection()
    for start in range(0, len(docs), batch):
        collection.insert_many(docs[start : start + batch], ordered=False)
    lead_counts_settle()


def messages_insert_many(docs: Iterable[dict]) -> None:
    """Insert ready-made message documents (message_document), for demo data."""
    docs = list(docs)
    for doc in docs:
        if not doc.get("text_bands") and doc.get("direction", Direction.IN) != Direction.OUT:
            doc["text_bands"] = text_bands(doc.get("message", ""))
    if docs:
        message_collection().insert_many(docs, ordered=False)


def lead_email_taken(*, pattern: str) -> bool:
    return lead_collection().find_one({"email": {"$regex": pattern}}, {"_id": 1}) is not None


# --- Merging two leads (contact.services.leads_merge runs these in order; each is safe to repeat) ---

def lead_merge_begin(*, survivor: Lead, merged: Lead) -> None:
    """Mark `merged` as going into `survivor`, and give the survivor its addresses (aliases and
    mailbox keys), its id, its tags, the details it lacks and the wider of their dates."""
    lead_collection().update_one({"_id": merged.pk}, {"$set": {"merged_into": str(survivor.pk)}})
    fill = {name: getattr(merged, name) for name in ("company", "phone", "phone_key", "country") if getattr(merged, name) and not getattr(survivor, name)}
    if merged.assignee_id and not survivor.assignee_id:
        fill[Lead._meta.get_field("assignee").column] = merged.assignee_id
    if merged.awaiting_reply:
        fill["awaiting_reply"] = True
    if merged.first_contacted_at and not survivor.first_contacted_at:
        fill["first_contacted_at"] = merged.first_contacted_at
    update = {
        "$addToSet": {
            "aliases": {"$each": [a for a in [merged.email, *merged.aliases] if a != survivor.email]},
            "mailbox_keys": {"$each": merged.mailbox_keys},
            "merged_ids": {"$each": [str(merged.pk), *merged.merged_ids]},
            "tags": {"$each": merged.tags},
        },
        "$min": {"created_at": merged.created_at, **({"first_contacted_at": merged.first_contacted_at} if survivor.first_contacted_at and merged.first_contacted_at else {})},
        "$max": {"last_activity_at": merged.last_activity_at},
    }
    if fill:
        update["$set"] = fill
    lead_collection().update_one({"_id": survivor.pk}, update)


def messages_move(*, from_lead_id, to_lead_id) -> int:
    column = Message._meta.get_field("lead").column
    return message_collection().update_many({column: from_lead_id}, {"$set": {column: to_lead_id}}).modified_count


def lead_merge_refresh(*, lead_id) -> None:
    """Rebuild a lead's inbox fields and count of the visitor's messages from its messages."""
    lead = Lead.objects.get(pk=lead_id)
    lead_reindex(lead=lead)
    counted = Message.objects.filter(lead_id=lead_id, auto_submitted=False).exclude(direction=Direction.OUT).count()
    Lead.objects.filter(pk=lead_id).update(message_count=counted)


def lead_merged_delete(*, lead_id, survivor_id) -> int:
    """Delete a lead merged into `survivor_id` (what pointed at it has moved), out of the counts per status."""
    if lead_collection().find_one({"_id": lead_id, "merged_into": str(survivor_id)}, {"_id": 1}) is None:
        return 0
    return int(lead_delete(lead_id=lead_id))
