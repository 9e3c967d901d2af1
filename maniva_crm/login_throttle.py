"""One throttle for every way to log in (CRM, admin, anything that calls `authenticate()`).

Only failed logins count, in three fixed-window counters kept in MongoDB (contact.ratelimit):
per (account, address), per address, and a high per-account ceiling. A login is refused before
the password is even checked when any counter is full, so one address hammering an account
blocks that pair and that address, while the real user, from another address, still gets in; only
the ceiling (a spread-out attack on one account) blocks everyone, and it mails the Managers once.
A successful login clears its (account, address) counter. See settings.LOGIN_THROTTLE.
"""
import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timezone

from django.conf import settings
from django.contrib.auth import get_user_model

from contact import ratelimit
from contact.outbox import email_enqueue
from maniva_crm.permissions import crm_can

logger = logging.getLogger(__name__)

PAIR, ADDRESS, ACCOUNT = "login_pair", "login_ip", "login_account"
_SETTING_KEYS = {PAIR: "account_address", ADDRESS: "address", ACCOUNT: "account"}


class LoginThrottled(ratelimit.RateLimited):
    """Raised by the authentication backend; LoginThrottledMiddleware turns it into a 429 page."""


@dataclass(frozen=True)
class _Counter:
    scope: str
    key: str
    limit: int
    window: int


def account_key(username: str | None) -> str:
    """Usernames are counted case-folded, so `Mia` and `mia ` share one count."""
    return (username or "").strip().casefold()[:150]


def _counters(*, username: str | None, ip: str | None, has_request: bool) -> list[_Counter]:
    """The counters one attempt touches. Without a request (shell code) only the account ceiling
    applies; a request without a usable address is counted under "unknown"."""
    account = account_key(username)
    address = (ip or "unknown") if has_request else None
    keys = {PAIR: f"{address}|{account}" if address and account else "", ADDRESS: address or "", ACCOUNT: account}
    counters = []
    for scope, key in keys.items():
        if key:
            limit, window = settings.LOGIN_THROTTLE[_SETTING_KEYS[scope]]
            counters.append(_Counter(scope, key, limit, window))
    return counters


def login_throttle_check(*, username: str | None, ip: str | None, has_request: bool = True) -> None:
    """Raise LoginThrottled when this account, address or pair already holds its limit of failures."""
    blocked = []
    for counter in _counters(username=username, ip=ip, has_request=has_request):
        counted = ratelimit.count_get(scope=counter.scope, key=counter.key, window=counter.window)
        if counted.count >= counter.limit:
            blocked.append((counted.seconds_left, counter.scope))
    if blocked:
        retry_after, scope = max(blocked)
        raise LoginThrottled(scope, retry_after=retry_after)


def login_failure_record(*, username: str | None, ip: str | None, has_request: bool = True) -> None:
    for counter in _counters(username=username, ip=ip, has_request=has_request):
        counted = ratelimit.count_add(scope=counter.scope, key=counter.key, window=counter.window)
        # A blocked account records no more failures, so this runs once per window, or a few times
        # when failures race past the ceiling together; the outbox key sends one mail for them all.
        if counter.scope == ACCOUNT and counted.count >= counter.limit:
            _ceiling_alert(account=counter.key, failures=counted.count, ip=ip, window_start=counted.window_start, window=counter.window)


def login_success_record(*, username: str, ip: str | None) -> None:
    """A successful login clears its (account, address) count; the address and account counts stay."""
    for counter in _counters(username=username, ip=ip, has_request=True):
        if counter.scope == PAIR:
            ratelimit.count_clear(scope=counter.scope, key=counter.key, window=counter.window)


def login_block_lift(*, username: str, ip: str | None = None) -> None:
    """Clear the account's ceiling (and, given an address, that address's counts) now."""
    for counter in _counters(username=username, ip=ip, has_request=ip is not None):
        ratelimit.count_clear(scope=counter.scope, key=counter.key, window=counter.window)


def _account_exists(account: str) -> bool:
    """Compared in Python: `__iexact` on django-mongodb-backend 5.2 builds an unescaped regex (".*"
    matches every name), and this runs at most once per blocked account and window."""
    user_model = get_user_model()
    names = user_model._default_manager.values_list(user_model.USERNAME_FIELD, flat=True)
    return any(account_key(name) == account for name in names.iterator())


def _alert_recipients() -> list[str]:
    managers = get_user_model().objects.filter(is_active=True, is_staff=True).exclude(email="")
    emails = {user.email for user in managers if crm_can(user, "manage_staff")}
    return sorted(emails | set(settings.CONTACT_NOTIFY_EMAILS))


def _ceiling_alert(*, account: str, failures: int, ip: str | None, window_start: int, window: int) -> None:
    """Log, and mail the Managers through the outbox once per window, when a real account is blocked."""
    until = datetime.fromtimestamp(window_start + window, timezone.utc)
    logger.warning("login ceiling: %d failed logins for %r within %d s (latest from %s); blocked until %s", failures, account, window, ip, until.isoformat())
    recipients = _alert_recipients()
    if not (_account_exists(account) and recipients):
        return
    email_enqueue(
        key=f"login_ceiling:{account if len(account) <= 80 else hashlib.sha256(account.encode()).hexdigest()}:{window_start}",
        to=recipients,
        subject=f"Logins to {account} blocked after {failures} failed attempts",
        template="maniva_crm/email/login_ceiling",
        context={"account": account, "failures": failures, "minutes": window // 60, "ip": ip or "unknown", "until": until.strftime("%Y-%m-%d %H:%M UTC")},
    )
