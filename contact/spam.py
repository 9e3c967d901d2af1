"""Server-side spam rules. A message judged spam is still stored, only flagged."""
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.core import signing
from django.utils import timezone

from analytics.scoring import spam_probability
from contact.forms import FORM_TS_SALT

_LINK_RE = re.compile(r"https?://|www\.", re.IGNORECASE)


@dataclass(frozen=True)
class SpamVerdict:
    is_spam: bool
    score: float = 0.0
    reasons: list[str] = field(default_factory=list)


def fill_seconds(form_ts: str) -> float | None:
    """Seconds since the form was rendered, or None when the signed timestamp is missing or forged."""
    try:
        rendered = int(signing.TimestampSigner(salt=FORM_TS_SALT).unsign(form_ts, max_age=86_400))
    except (signing.BadSignature, ValueError):
        return None
    return timezone.now().timestamp() - rendered


def spam_verdict(*, submission: dict, honeypot: str, form_ts: str) -> SpamVerdict:
    reasons = []
    if honeypot.strip():
        reasons.append("honeypot")
    seconds = fill_seconds(form_ts)
    if seconds is None:
        reasons.append("no_timestamp")
    elif seconds < settings.CONTACT_MIN_FILL_SECONDS:
        reasons.append("too_fast")
    text = " ".join(str(submission.get(key, "")) for key in ("name", "subject", "message", "company"))
    if len(_LINK_RE.findall(text)) > settings.CONTACT_MAX_LINKS:
        reasons.append("links")
    if _LINK_RE.search(submission.get("name", "")):  # the confirmation mail repeats the name
        reasons.append("name_link")
    lowered = text.lower()
    if any(term in lowered for term in settings.CONTACT_BLOCKLIST):
        reasons.append("blocklist")
    domain = submission.get("email", "").rpartition("@")[2]
    if domain in settings.CONTACT_BLOCKED_DOMAINS:
        reasons.append("blocked_domain")
    probability = spam_probability(f"{submission.get('subject', '')}\n{submission.get('message', '')}")
    if probability is not None and probability >= settings.CONTACT_SPAM_MODEL_THRESHOLD:
        reasons.append("model")
    score = max(1.0 if reasons else 0.0, probability or 0.0)
    return SpamVerdict(is_spam=bool(reasons), score=round(score, 4), reasons=reasons)
