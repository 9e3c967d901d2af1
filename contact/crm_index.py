"""The lead's denormalised inbox fields (search terms, last subject, form kinds), kept in step with its messages.

The CRM inbox lists leads, but searches what they wrote: each lead carries the union of its
messages' search terms in one multikey-indexed array, so a search is one indexed query.
"""
from contact.models import Lead, Message
from contact.search import search_terms

MAX_LEAD_TERMS = 2000


def lead_terms(*, lead: Lead) -> list[str]:
    return search_terms(lead.name, lead.email, lead.company)


def lead_index_message(*, lead_id, message: Message) -> None:
    """Fold one stored message into its lead's inbox fields: a single-document update, safe to repeat."""
    from django.db import connection

    terms = list(dict.fromkeys([*search_terms(message.name, message.email, message.company), *message.search_terms]))
    collection = connection.get_collection(Lead._meta.db_table)
    collection.update_one(
        {"_id": lead_id, f"search_terms.{MAX_LEAD_TERMS}": {"$exists": False}},
        {"$addToSet": {"search_terms": {"$each": terms}}},
    )
    collection.update_one({"_id": lead_id}, {"$addToSet": {"kinds": message.kind}})
    collection.update_one(
        {"_id": lead_id, "last_activity_at": {"$lte": message.received_at}},
        {"$set": {"last_subject": message.subject[:200]}},
    )


def lead_reindex(*, lead: Lead) -> None:
    """Rebuild a lead's inbox fields from its messages (backfill, or after messages were removed)."""
    terms: dict[str, None] = dict.fromkeys(lead_terms(lead=lead))
    kinds: dict[str, None] = {}
    last_subject = ""
    for message in Message.objects.filter(lead_id=lead.pk).order_by("received_at").only("kind", "subject", "search_terms"):
        terms.update(dict.fromkeys(message.search_terms))
        kinds[message.kind] = None
        last_subject = message.subject[:200]
    Lead.objects.filter(pk=lead.pk).update(
        search_terms=list(terms)[:MAX_LEAD_TERMS], kinds=list(kinds), last_subject=last_subject
    )
