"""The login throttle over real sockets, as the outside probe ran it: a web process (manage.py run_web)
and two client addresses on loopback, an attacker on 127.0.0.2 and the real user on 127.0.0.1."""
import http.client
import re
from urllib.parse import urlencode, urlsplit

import pytest
from django.db import connection

from tests.dbserver import SERVER, free_port
from tests.factories import PASSWORD, make_user
from tests.stack import Stack, stack_env

ATTACKER, VICTIM = "127.0.0.2", "127.0.0.1"


@pytest.fixture
def web(db, tmp_path):
    """Shares the test database, so accounts the test makes are there for the web process."""
    uri = f"mongodb://127.0.0.1:{SERVER.port}/{connection.settings_dict['NAME']}"
    stack = Stack(env=stack_env(mongodb_uri=uri, spool_dir=str(tmp_path / "spool"), smtp_port=free_port(), LOGIN_FAILURES_PER_ACCOUNT_ADDRESS="3"))
    try:
        yield stack.start_web(threads=2)
    finally:
        stack.stop()


def login(base_url: str, path: str, *, source: str, username: str, password: str, extra: dict | None = None) -> int:
    """Fetch the login form from `source`, post it back, return the answer's status."""
    url = urlsplit(base_url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60, source_address=(source, 0))
    try:
        conn.request("GET", path)
        page = conn.getresponse()
        html = page.read().decode()
        cookie = re.search(r"csrftoken=([^;]+)", page.getheader("Set-Cookie", "")).group(1)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        body = urlencode({"csrfmiddlewaretoken": token, "username": username, "password": password})
        headers = {"Cookie": f"csrftoken={cookie}", "Content-Type": "application/x-www-form-urlencoded", **(extra or {})}
        conn.request("POST", path, body=body, headers=headers)
        answer = conn.getresponse()
        answer.read()
        return answer.status
    finally:
        conn.close()


def test_attacker_address_is_blocked_on_every_login_page_and_the_user_still_gets_in(web):
    make_user("victim")
    assert [login(web, "/admin/login/", source=ATTACKER, username="victim", password=f"guess{i}") for i in range(3)] == [200] * 3
    assert login(web, "/crm/login/", source=ATTACKER, username="victim", password=PASSWORD) == 429
    assert login(web, "/admin/login/", source=ATTACKER, username="victim", password=PASSWORD) == 429
    assert login(web, "/admin/login/", source=VICTIM, username="victim", password=PASSWORD) == 302
    assert login(web, "/crm/login/", source=VICTIM, username="victim", password=PASSWORD) == 302


def test_a_visitor_cannot_pass_for_another_address_through_the_front(web):
    """run_web's front tells the app process the visitor's address in its own header: one the visitor
    sends is dropped, never believed (issue 15)."""
    make_user("victim")
    for i in range(3):
        login(web, "/admin/login/", source=ATTACKER, username="victim", password=f"guess{i}")
    forged = {"X-Maniva-Front": f"{VICTIM} 127.0.0.1 80 http", "X-Forwarded-For": VICTIM}
    assert login(web, "/admin/login/", source=ATTACKER, username="victim", password=PASSWORD, extra=forged) == 429
    assert login(web, "/admin/login/", source=VICTIM, username="victim", password=PASSWORD) == 302
