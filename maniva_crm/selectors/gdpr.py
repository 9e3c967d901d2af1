"""A person's data, for a GDPR access request."""
from datetime import date, datetime

from bson import ObjectId

from contact.models import Lead
from contact.selectors import messages_of
from maniva_crm.models import AuditEntry, Note


def person_data(*, lead: Lead) -> dict:
    """Everything stored about one person, for a GDPR access request."""
    def plain(obj, exclude=()) -> dict:
        out = {}
        for f in obj._meta.concrete_fields:
            if f.attname in exclude:
                continue
            value = getattr(obj, f.attname)
            out[f.attname] = value.isoformat() if isinstance(value, (datetime, date)) else (str(value) if isinstance(value, ObjectId) else value)
        return out

    return {
        "lead": plain(lead, exclude=("search_terms",)),
        "messages": [plain(m, exclude=("search_terms",)) for m in messages_of(lead_id=lead.pk, oldest_first=True)],
        "notes": [plain(n) for n in Note.objects.filter(lead_id=lead.pk).order_by("created_at", "pk")],
        "timeline": [plain(e) for e in AuditEntry.objects.filter(lead_id=lead.pk).order_by("created_at", "pk")],
    }
