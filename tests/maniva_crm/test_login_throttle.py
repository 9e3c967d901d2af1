import asyncio
import logging
from io import StringIO

import pytest
from django.contrib.auth import aauthenticate, authenticate
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import RequestFactory

from contact import ratelimit
from contact.models import OutboxJob
from maniva_crm.login_throttle import (
    LoginThrottled,
    account_key,
    login_block_lift,
    login_failure_record,
    login_success_record,
    login_throttle_check,
)
from maniva_crm.services import SALES
from tests.factories import PASSWORD, make_user
from tests.helpers import NO_EDGE_WINDOW

pytestmark = pytest.mark.django_db
IP, OTHER_IP = "203.0.113.10", "198.51.100.20"


@pytest.fixture(autouse=True)
def small_throttle(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.LOGIN_THROTTLE = {"account_address": (2, NO_EDGE_WINDOW), "address": (5, NO_EDGE_WINDOW), "account": (4, NO_EDGE_WINDOW)}


def test_usernames_are_counted_case_folded():
    assert account_key("  Mia ") == account_key("MIA") == "mia"
    login_failure_record(username="Mia", ip=IP)
    login_failure_record(username="MIA ", ip=IP)
    with pytest.raises(LoginThrottled) as blocked:
        login_throttle_check(username="mia", ip=IP)
    assert blocked.value.scope == "login_pair" and 0 < blocked.value.retry_after <= NO_EDGE_WINDOW
    login_throttle_check(username="mia", ip=OTHER_IP)


def test_counters_are_shared_documents_with_an_expiry():
    login_failure_record(username="mia", ip=IP)
    docs = {doc["_id"].rsplit(":", 1)[0]: doc for doc in connection.get_collection(ratelimit.COLLECTION).find()}
    assert set(docs) == {f"login_pair:{IP}|mia", f"login_ip:{IP}", "login_account:mia"}
    assert all(doc["count"] == 1 and doc["expires_at"] for doc in docs.values())


def test_a_success_clears_only_its_own_pair():
    for _ in range(2):
        login_failure_record(username="mia", ip=IP)
    login_success_record(username="Mia", ip=IP)
    login_throttle_check(username="mia", ip=IP)
    assert ratelimit.count_get(scope="login_ip", key=IP, window=NO_EDGE_WINDOW).count == 2
    assert ratelimit.count_get(scope="login_account", key="mia", window=NO_EDGE_WINDOW).count == 2


def test_without_a_request_only_the_account_ceiling_applies(roles):
    make_user("mia", role=SALES)
    for _ in range(3):
        assert authenticate(username="mia", password="wrong") is None
    assert authenticate(username="mia", password=PASSWORD) is not None  # client.login(), shell code
    assert authenticate(username="mia", password="wrong") is None
    with pytest.raises(LoginThrottled):
        authenticate(username="mia", password=PASSWORD)


def test_the_async_path_is_throttled_too(roles):
    make_user("mia", role=SALES)
    request = RequestFactory().post("/crm/login/", REMOTE_ADDR=IP)
    for _ in range(2):
        assert asyncio.run(aauthenticate(request, username="mia", password="wrong")) is None
    with pytest.raises(LoginThrottled):
        asyncio.run(aauthenticate(request, username="mia", password=PASSWORD))


@pytest.mark.parametrize("ghost", ["ghost", ".*"])  # ".*": no regex that would match every account
def test_ceiling_on_an_account_nobody_has_only_logs(caplog, ghost):
    make_user("Mia.x")
    with caplog.at_level(logging.WARNING, logger="maniva_crm.login_throttle"):
        for n in range(4):
            login_failure_record(username=ghost, ip=f"192.0.2.{n}")
    assert f"login ceiling: 4 failed logins for {ghost!r}" in caplog.text
    assert not OutboxJob.objects.filter(key__startswith="login_ceiling:").exists()
    with pytest.raises(LoginThrottled) as blocked:
        login_throttle_check(username=ghost, ip="192.0.2.99")
    assert blocked.value.scope == "login_account"


def test_block_lift_and_its_command():
    for n in range(4):
        login_failure_record(username="mia", ip=IP if n < 2 else OTHER_IP)
    login_block_lift(username="MIA")
    login_throttle_check(username="mia", ip="192.0.2.1")
    with pytest.raises(LoginThrottled):
        login_throttle_check(username="mia", ip=IP)  # that address's own pair count stays
    out = StringIO()
    call_command("login_unblock", "mia", "--address", IP, stdout=out)
    assert out.getvalue().strip() == f"Login counts cleared for mia and {IP}."
    login_throttle_check(username="mia", ip=IP)
    with pytest.raises(CommandError):
        call_command("login_unblock", "mia", "--address", "not-an-ip", stdout=StringIO())
