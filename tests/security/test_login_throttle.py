"""The login throttle from outside: the CRM and admin login pages, two (or more) client addresses,
the real database. Each attempt comes from a fresh client, as a separate browser would."""
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import Client, RequestFactory
from django.urls import reverse

from contact.models import OutboxJob
from contact.worker import jobs_run_due
from maniva_crm.login_throttle import LoginThrottled
from maniva_crm.services import MANAGERS, SALES
from tests.factories import PASSWORD, make_user
from tests.helpers import NO_EDGE_WINDOW

pytestmark = pytest.mark.django_db

ADMIN, CRM = "/admin/login/", "/crm/login/"
ATTACKER, VICTIM_HOME = "203.0.113.66", "198.51.100.7"


@pytest.fixture(autouse=True)
def small_throttle(settings) -> None:
    # Fast hashing: these tests make many logins on a small machine.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.LOGIN_THROTTLE = {"account_address": (3, NO_EDGE_WINDOW), "address": (8, NO_EDGE_WINDOW), "account": (12, NO_EDGE_WINDOW)}


@pytest.fixture
def victim(roles):
    return make_user("victim", role=SALES)


def attempt(url: str, username: str, password: str, ip: str, **extra):
    return Client().post(url, {"username": username, "password": password}, REMOTE_ADDR=ip, **extra)


def assert_logged_in(response) -> None:
    assert response.status_code == 302, response.status_code
    assert "_auth_user_id" in response.client.session


def assert_throttled(response) -> None:
    assert response.status_code == 429, response.status_code
    assert int(response["Retry-After"]) > 0
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in response.client.session


def test_admin_login_is_throttled_after_n_failures(victim):
    for _ in range(3):
        response = attempt(ADMIN, "victim", "wrong", ATTACKER)
        assert response.status_code == 200 and "_auth_user_id" not in response.client.session
    response = attempt(ADMIN, "victim", PASSWORD, ATTACKER)  # the right password, but too late
    assert_throttled(response)
    assert "Content-Security-Policy" in response and response["X-Frame-Options"] == "DENY"


def test_crm_and_admin_share_one_count(victim):
    attempt(ADMIN, "victim", "wrong", ATTACKER)
    attempt(ADMIN, "Victim", "wrong", ATTACKER)
    attempt(CRM, "VICTIM", "wrong", ATTACKER)
    assert_throttled(attempt(CRM, "victim", PASSWORD, ATTACKER))
    assert_throttled(attempt(ADMIN, "victim", PASSWORD, ATTACKER))


def test_one_code_path_every_caller_of_authenticate(victim, settings):
    """Failures made through the admin block the CRM's form, and a bare authenticate() with a request."""
    assert settings.AUTHENTICATION_BACKENDS == ["maniva_crm.backends.ThrottledModelBackend"]
    for _ in range(3):
        attempt(ADMIN, "victim", "wrong", ATTACKER)
    response = attempt(CRM, "victim", PASSWORD, ATTACKER)
    assert_throttled(response)
    assert 'name="username"' in response.content.decode()  # the CRM keeps its own login form
    request = RequestFactory().post(CRM, REMOTE_ADDR=ATTACKER)
    with pytest.raises(LoginThrottled):
        authenticate(request, username="victim", password=PASSWORD)
    assert authenticate(RequestFactory().post(CRM, REMOTE_ADDR=VICTIM_HOME), username="victim", password=PASSWORD) == victim


def test_victim_gets_in_from_another_address_while_the_attacker_is_blocked(victim):
    for _ in range(3):
        attempt(CRM, "victim", "wrong", ATTACKER)
    for _ in range(5):  # hammering on while blocked counts for nothing and gets nothing
        assert_throttled(attempt(CRM, "victim", "guess", ATTACKER))
    assert_logged_in(attempt(CRM, "victim", PASSWORD, VICTIM_HOME))
    assert_logged_in(attempt(ADMIN, "victim", PASSWORD, VICTIM_HOME))
    assert_throttled(attempt(CRM, "victim", PASSWORD, ATTACKER))


def test_addresses_behind_a_trusted_proxy_are_told_apart(victim, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    for _ in range(3):
        attempt(ADMIN, "victim", "wrong", "127.0.0.1", HTTP_X_FORWARDED_FOR=f"10.9.9.9, {ATTACKER}")
    assert_throttled(attempt(ADMIN, "victim", PASSWORD, "127.0.0.1", HTTP_X_FORWARDED_FOR=ATTACKER))
    assert_logged_in(attempt(ADMIN, "victim", PASSWORD, "127.0.0.1", HTTP_X_FORWARDED_FOR=VICTIM_HOME))


def test_successful_logins_never_count(victim):
    for url in [CRM] * 7 + [ADMIN] * 4:
        assert_logged_in(attempt(url, "victim", PASSWORD, ATTACKER))
    # A success clears the (account, address) count: 2 failures, success, 2 failures, success.
    for _ in range(2):
        attempt(CRM, "victim", "wrong", VICTIM_HOME)
        attempt(CRM, "victim", "typo", VICTIM_HOME)
        assert_logged_in(attempt(CRM, "victim", PASSWORD, VICTIM_HOME))


def test_per_address_limit_across_many_usernames(victim):
    for i in range(8):  # one failure each for eight accounts: no pair is near its limit
        assert attempt(ADMIN if i % 2 else CRM, f"user{i}", "wrong", ATTACKER).status_code == 200
    assert_throttled(attempt(CRM, "victim", PASSWORD, ATTACKER))
    assert_throttled(attempt(ADMIN, "someone-new", "x", ATTACKER))
    assert_logged_in(attempt(CRM, "victim", PASSWORD, VICTIM_HOME))


def test_account_ceiling_blocks_every_address_and_alerts_managers_once(victim, smtp_server, settings):
    settings.CONTACT_NOTIFY_EMAILS = ["team@maniva.test"]
    make_user("mia", role=MANAGERS, email="mia@maniva.test")
    make_user("sam", role=SALES, email="sam@maniva.test")
    addresses = [f"203.0.113.{n}" for n in range(1, 7)]
    for ip in addresses:  # 6 addresses × 2 failures: under every pair and address limit
        for url in (CRM, ADMIN):
            assert attempt(url, "Victim", "wrong", ip).status_code == 200
    assert_throttled(attempt(CRM, "victim", PASSWORD, VICTIM_HOME))  # the ceiling blocks everyone
    for ip in ("192.0.2.1", "192.0.2.2"):
        assert_throttled(attempt(ADMIN, "victim", "wrong", ip))

    jobs = OutboxJob.objects.filter(key__startswith="login_ceiling:")
    assert [job.key.split(":")[1] for job in jobs] == ["victim"]
    assert sorted(jobs[0].payload["to"]) == ["mia@maniva.test", "team@maniva.test"]
    jobs_run_due(worker="test")
    [mail] = smtp_server.wait_for(1)
    assert "victim" in mail["Subject"] and "12 failed" in mail["Subject"]
    text = next(part.get_payload(decode=True).decode() for part in mail.walk() if part.get_content_type() == "text/plain")
    assert 'python manage.py login_unblock "victim"' in text

    call_command("login_unblock", "VICTIM", stdout=StringIO())
    assert_logged_in(attempt(CRM, "victim", PASSWORD, VICTIM_HOME))
