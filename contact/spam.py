"""Server-side spam rules. A message judged spam is still stored, only flagged."""
import logging
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from django.conf import settings
from django.core import signing
from django.utils import timezone
from django.utils.module_loading import import_string

from contact.forms import FORM_TS_SALT

logger = logging.getLogger(__name__)
_LINK_RE = re.compile(r"https?://|www\.", re.IGNORECASE)
# The model scores in these threads, so that a request waits at most CONTACT_SPAM_SCORE_TIMEOUT_MS
# for it, loading included (the first use imports scikit-learn: over a second). A scoring that
# overruns finishes in its thread and fills the model cache for the next requests; the slots bound
# how many run at once, so a stalled model cannot pile up work.
_SCORING_THREADS = 4
_scoring_pool = ThreadPoolExecutor(max_workers=_SCORING_THREADS, thread_name_prefix="spam-scorer")
_scoring_slots = threading.BoundedSemaphore(_SCORING_THREADS)


@dataclass(frozen=True)
class SpamVerdict:
    """Three outcomes: spam (held, nobody notified), review (the model is unsure: stored, staff
    notified, the inbox shows "needs review"), or neither."""

    is_spam: bool
    score: float = 0.0
    reasons: list[str] = field(default_factory=list)
    review: bool = False


def fill_seconds(form_ts: str) -> float | None:
    """Seconds since the form was rendered, or None when the signed timestamp is missing or forged."""
    try:
        rendered = int(signing.TimestampSigner(salt=FORM_TS_SALT).unsign(form_ts, max_age=86_400))
    except (signing.BadSignature, ValueError):
        return None
    return timezone.now().timestamp() - rendered


def _scorer():
    """The object CONTACT_SPAM_SCORER names (an analytics.scoring.SpamScorer)."""
    return import_string(settings.CONTACT_SPAM_SCORER)


def _score(scorer, text: str) -> tuple[float | None, tuple]:
    try:
        probability = scorer.probability(text)
        thresholds = scorer.thresholds() if hasattr(scorer, "thresholds") else (None, None)
        return probability, thresholds
    finally:
        _scoring_slots.release()


def spam_cutoffs(model_thresholds: tuple) -> tuple[float, float]:
    """(hold, review): the settings when set, else what the live model was tuned for, else 0.95 and no review band."""
    model_hold, model_review = model_thresholds
    hold = settings.CONTACT_SPAM_MODEL_THRESHOLD
    hold = hold if hold is not None else (model_hold if model_hold is not None else 0.95)
    review = settings.CONTACT_SPAM_REVIEW_THRESHOLD
    review = review if review is not None else (model_review if model_review is not None else hold)
    return hold, min(review, hold)


def model_scoring(text: str) -> tuple[float | None, float, float]:
    """(P(spam), hold cut-off, review cut-off). P is None when the scorer has no model, fails, or
    cannot answer within CONTACT_SPAM_SCORE_TIMEOUT_MS: the verdict then goes on with the rules alone."""
    none = (None, *spam_cutoffs((None, None)))
    scorer = _scorer()
    deadline = time.monotonic() + settings.CONTACT_SPAM_SCORE_TIMEOUT_MS / 1000
    if not _scoring_slots.acquire(timeout=settings.CONTACT_SPAM_SCORE_TIMEOUT_MS / 1000):
        logger.warning("spam model busy for %d ms: verdict without its score", settings.CONTACT_SPAM_SCORE_TIMEOUT_MS)
        return none
    try:
        future = _scoring_pool.submit(_score, scorer, text)
    except RuntimeError:  # the interpreter is shutting down
        _scoring_slots.release()
        return none
    try:
        probability, thresholds = future.result(timeout=max(0.0, deadline - time.monotonic()))
        return (probability, *spam_cutoffs(thresholds))
    except TimeoutError:
        logger.warning("spam model took over %d ms: verdict without its score", settings.CONTACT_SPAM_SCORE_TIMEOUT_MS)
    except Exception:
        logger.exception("spam model failed: verdict without its score")
    return none


def scorer_warm() -> None:
    """Start loading the model in the background, so that the first visitor's message does not
    wait for it (manage.py run_web calls this before it serves)."""
    scorer = _scorer()
    if _scoring_slots.acquire(blocking=False):
        _scoring_pool.submit(_score, scorer, "")


def spam_verdict(*, submission: dict, honeypot: str, form_ts: str) -> SpamVerdict:
    reasons = []
    if honeypot.strip():
        reasons.append("honeypot")
    seconds = fill_seconds(form_ts)
    if seconds is None:
        reasons.append("no_timestamp")
    elif seconds < settings.CONTACT_MIN_FILL_SECONDS:
        reasons.append("too_fast")
    return _content_verdict(submission=submission, reasons=reasons)


def mail_spam_verdict(*, submission: dict) -> SpamVerdict:
    """The form's content rules and model for a mail from an unknown sender (contact.inbound): a
    mail has no honeypot and no signed form timestamp to judge."""
    return _content_verdict(submission=submission, reasons=[])


def _content_verdict(*, submission: dict, reasons: list[str]) -> SpamVerdict:
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
    probability, hold, review = model_scoring(f"{submission.get('subject', '')}\n{submission.get('message', '')}")
    if probability is not None and probability >= hold:
        reasons.append("model")
    unsure = not reasons and probability is not None and probability >= review
    score = max(1.0 if reasons else 0.0, probability or 0.0)
    return SpamVerdict(is_spam=bool(reasons), score=round(score, 4), reasons=reasons, review=unsure)
