"""Canned replies: the variant for a lead's language, and its placeholders filled in.

Rendering gives plain text: it goes into the reply form's textarea and a data attribute (both
escaped by the template) and into the mail (the HTML part escapes it, the text part is text), so
a lead who calls themselves `<script>` stays text everywhere. Placeholders are matched by name
only: `{first_name.__class__}` and the like are left as written (no str.format on staff input)."""
import re
from dataclasses import dataclass

from bson import ObjectId

from contact.models import Lead
from contact.selectors import messages_of
from maniva_crm.models import CannedReply

PLACEHOLDERS = ("first_name", "name", "company", "staff_name")
_PLACEHOLDER = re.compile(r"\{(" + "|".join(PLACEHOLDERS) + r")\}")
FALLBACK_LANGUAGE = "en"


@dataclass(frozen=True)
class CannedChoice:
    pk: str
    title: str
    language: str
    body: str  # rendered for one lead and one staff member


def language_tag(value: str) -> str:
    """"pt_BR", "pt-BR;q=0.9" → "pt-br"."""
    return value.split(";")[0].strip().replace("_", "-").lower()


def lead_language(*, lead: Lead) -> str:
    """The lead's language: the locale of its latest message that has one ("" when none has)."""
    for message in messages_of(lead_id=lead.pk, fields=("locale", "received_at")):
        if message.locale:
            return language_tag(message.locale)
    return ""


def canned_render(*, body: str, lead: Lead, staff) -> str:
    values = {
        "first_name": (lead.name.split() or [""])[0],
        "name": lead.name,
        "company": lead.company,
        "staff_name": staff.get_full_name() or staff.get_username(),
    }
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], body)


def _variant_rank(language: str, wanted: str) -> int:
    """Lower is better: the exact tag, its primary language, a sibling (pt-pt for pt-br), English, anything."""
    primary = wanted.split("-")[0]
    if wanted and language == wanted:
        return 0
    if primary and language == primary:
        return 1
    if primary and language.split("-")[0] == primary:
        return 2
    if language == FALLBACK_LANGUAGE:
        return 3
    if language.split("-")[0] == FALLBACK_LANGUAGE:
        return 4
    return 5


def canned_replies_all() -> list[CannedReply]:
    return list(CannedReply.objects.order_by("title", "language"))


def canned_reply_get(*, pk: str) -> CannedReply | None:
    if not isinstance(pk, str) or not ObjectId.is_valid(pk):
        return None
    return CannedReply.objects.filter(pk=pk).first()


def canned_reply_exists(*, title: str, language: str, exclude_pk=None) -> bool:
    replies = CannedReply.objects.filter(title=title, language=language)
    if exclude_pk is not None:
        replies = replies.exclude(pk=exclude_pk)
    return replies.exists()


def canned_for_lead(*, lead: Lead, staff) -> list[CannedChoice]:
    """One choice per title, in the variant that best fits the lead's language (English otherwise)."""
    wanted = lead_language(lead=lead)
    best: dict[str, CannedReply] = {}
    for reply in canned_replies_all():
        current = best.get(reply.title)
        if current is None or _variant_rank(reply.language, wanted) < _variant_rank(current.language, wanted):
            best[reply.title] = reply
    return [
        CannedChoice(pk=str(r.pk), title=r.title, language=r.language, body=canned_render(body=r.body, lead=lead, staff=staff))
        for r in best.values()
    ]
