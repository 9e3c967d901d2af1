"""Possible duplicates of a lead, found through the keys the lead store keeps (contact.dupkeys).

Every candidate comes from an indexed equality on a stored key, never from a scan: the same
mailbox (index lead_mailbox_keys), the same phone (lead_phone_key), the same company domain and
name key (lead_domain_name), a shared MinHash band of a message's text (message_text_bands). A
candidate found by name is kept only when the names agree (names_similar), one found by text
only when the texts are near-identical (text_similarity at least TEXT_THRESHOLD). So the cost is
a handful of indexed queries whatever the number of leads.
"""
from dataclasses import dataclass, field

from contact.dupkeys import jaccard, names_similar, text_shingles
from contact.leads import lead_collection, message_collection
from contact.models import Direction, Lead, Message
from maniva_webapp.mongo import find_in

TEXT_THRESHOLD = 0.65  # chosen on the development sample (benchmarks/duplicates.py --quality --seeds 1), reported on others
OWN_MESSAGES = 5  # the lead's latest messages whose text is compared
TEXT_CANDIDATES = 200  # messages compared per lead page at most (a spam wave shares its text), the newest own message's bands first
MAX_DUPLICATES = 20
SHARED_PHONE = 3  # a number on this many other leads is a switchboard or an agency's: not a reason alone


class Reason:
    MAILBOX = "same mailbox"
    PHONE = "same phone"
    NAME = "similar name, same company domain"
    TEXT = "near-identical text"


@dataclass
class Duplicate:
    lead: Lead
    reasons: list[str] = field(default_factory=list)  # Reason values, with a detail: "near-identical text (93% alike)"
    kinds: list[str] = field(default_factory=list)  # Reason values alone, for filtering and tests


def _add(found: dict, lead_id, kind: str, detail: str = "") -> None:
    duplicate = found.setdefault(lead_id, Duplicate(lead=None))  # the lead is read afterwards, in one query
    if kind not in duplicate.kinds:
        duplicate.kinds.append(kind)
        duplicate.reasons.append(f"{kind} ({detail})" if detail else kind)


def _by_keys(lead: Lead, found: dict) -> None:
    leads = lead_collection()
    for key in lead.mailbox_keys[:10]:
        for doc in leads.find({"mailbox_keys": key}, {"_id": 1}).limit(MAX_DUPLICATES + 1):
            _add(found, doc["_id"], Reason.MAILBOX)
    if lead.phone_key:
        others = [doc["_id"] for doc in leads.find({"phone_key": lead.phone_key}, {"_id": 1}).limit(SHARED_PHONE + 1) if doc["_id"] != lead.pk]
        if len(others) < SHARED_PHONE:
            for other in others:
                _add(found, other, Reason.PHONE, lead.phone_key)
    if lead.domain_key and lead.name_key:
        query = {"domain_key": lead.domain_key, "name_key": lead.name_key}
        for doc in leads.find(query, {"_id": 1, "name": 1}).limit(MAX_DUPLICATES + 1):
            if names_similar(lead.name, doc.get("name", "")):
                _add(found, doc["_id"], Reason.NAME, lead.domain_key)


def _by_text(lead: Lead, found: dict) -> None:
    messages = message_collection()
    lead_column = Message._meta.get_field("lead").column
    own = list(
        messages.find({lead_column: lead.pk}, {"message": 1, "text_bands": 1, "direction": 1})
        .sort("received_at", -1)
        .limit(OWN_MESSAGES * 4)
    )
    own = [m for m in own if m.get("direction") != Direction.OUT and m.get("text_bands")][:OWN_MESSAGES]
    bands = list(dict.fromkeys(band for m in own for band in m["text_bands"]))
    if not bands:
        return
    own_shingles = [text_shingles(m["message"]) for m in own]
    best: dict = {}
    for doc in find_in(messages, "text_bands", bands, {lead_column: 1, "message": 1}, limit=TEXT_CANDIDATES):
        other = doc.get(lead_column)
        if other is None or other == lead.pk or best.get(other, 0) >= 0.999:
            continue
        theirs = text_shingles(doc.get("message", ""))
        score = max(jaccard(mine, theirs) for mine in own_shingles)
        best[other] = max(best.get(other, 0.0), score)
    for other, score in best.items():
        if score >= TEXT_THRESHOLD:
            _add(found, other, Reason.TEXT, f"{round(score * 100)}% alike")


def lead_duplicates(*, lead: Lead) -> list[Duplicate]:
    """Other leads that may be the same person, most reasons first, then most recent; at most
    MAX_DUPLICATES. A lead being merged away (merged_into set) is left out."""
    found: dict = {}
    _by_keys(lead, found)
    _by_text(lead, found)
    found.pop(lead.pk, None)
    if not found:
        return []
    fields = ("name", "email", "aliases", "company", "phone", "status", "last_activity_at", "message_count", "merged_into")
    leads = {other.pk: other for other in Lead.objects.filter(pk__in=list(found)).only(*fields)}
    duplicates = []
    for lead_id, duplicate in found.items():
        other = leads.get(lead_id)
        if other is not None and not other.merged_into:
            duplicate.lead = other
            duplicates.append(duplicate)
    duplicates.sort(key=lambda d: (-len(d.kinds), -d.lead.last_activity_at.timestamp(), str(d.lead.pk)))
    return duplicates[:MAX_DUPLICATES]


def lead_merged_into(*, lead_id: str) -> Lead | None:
    """The lead another lead was merged into (old links to a merged lead lead there); index lead_merged_ids."""
    doc = lead_collection().find_one({"merged_ids": str(lead_id)}, {"_id": 1})
    return Lead.objects.filter(pk=doc["_id"]).first() if doc else None
