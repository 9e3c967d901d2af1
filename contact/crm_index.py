"""The lead's denormalised inbox fields (search terms, last subject, form kinds).

The intake keeps them in step as each message arrives (contact.services.lead_record_message);
lead_reindex rebuilds them from the messages.

The CRM inbox lists leads, but searches what they wrote: each lead carries the union of its
messages' search terms in one multikey-indexed array, so a search is one indexed query.
"""
from contact.models import Lead, Message
from contact.search import search_terms

MAX_LEAD_TERMS = 2000


def lead_terms(*, lead: Lead) -> list[str]:
    return search_terms(lead.name, lead.email, lead.company)


def lead_reindex(*, lead: Lead) -> None:
    """Rebuild a lead's inbox fields from its messages (backfill, or after messages were removed)."""
    terms: dict[str, None] = dict.fromkeys(lead_terms(lead=lead))
    kinds: dict[str, None] = {}
    last_subject = ""
    for message in Message.objects.filter(lead_id=lead.pk).order_by("received_at", "pk").only("kind", "subject", "search_terms"):
        terms.update(dict.fromkeys(message.search_terms))
        kinds[message.kind] = None
        last_subject = message.subject[:200]
    Lead.objects.filter(pk=lead.pk).update(
        search_terms=list(terms)[:MAX_LEAD_TERMS], kinds=list(kinds), last_subject=last_subject
    )
