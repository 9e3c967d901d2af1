"""GET / never waits on the database (issue 15): no command reaches MongoDB while it is served, so
under load it cannot queue behind POSTs that do; run_web serves such pages on threads of their own."""
import re

import pytest
from django.contrib.messages.storage.base import Message as Message_
from django.db import connection
from django.test import Client
from pymongo import monitoring

from contact.models import Message
from maniva_webapp.pagecache import _MARK as MARK
from maniva_webapp.serving import DATABASE_FREE_PATHS, database_free
from tests.factories import form_data


class Commands(monitoring.CommandListener):
    def __init__(self) -> None:
        self.names: list[str] = []

    def started(self, event) -> None:
        self.names.append(event.command_name)

    def succeeded(self, event) -> None:
        pass

    def failed(self, event) -> None:
        pass


LISTENER = Commands()


@pytest.fixture
def db_commands(db) -> Commands:
    """Every command this process sends from here on (a pymongo CommandListener)."""
    if LISTENER not in monitoring._LISTENERS.command_listeners:
        monitoring.register(LISTENER)
        connection.close_pool()  # the next use builds a client, which reports to the listener
    connection.ensure_connection()
    LISTENER.names.clear()
    return LISTENER


def test_the_landing_page_sends_no_database_command(client, db_commands):
    client.get("/contact/")  # a returning visitor: cookies set
    db_commands.names.clear()
    first = client.get("/")
    again = client.get("/", HTTP_ACCEPT_LANGUAGE="pt-PT,pt;q=0.9")
    assert (first.status_code, again.status_code) == (200, 200)
    assert b'name="csrfmiddlewaretoken"' in first.content and b'name="idem"' in first.content
    assert db_commands.names == []


def test_a_new_visitor_on_the_landing_page_sends_no_database_command(client, db_commands):
    response = client.get("/")
    assert response.status_code == 200 and "csrftoken" in response.cookies
    assert db_commands.names == []
    client.get("/healthz")
    assert db_commands.names == ["ping"], "the listener sees what a request sends"


@pytest.mark.parametrize("path", sorted(DATABASE_FREE_PATHS | {"/static/css/site.css"}))
def test_every_page_served_on_the_page_threads_sends_no_database_command(client, db_commands, path):
    response = client.get(path)
    assert response.status_code in (200, 301, 302, 404), response.status_code
    assert db_commands.names == []


def test_run_web_routes_database_free_pages_to_their_own_threads():
    assert database_free("GET", "/") and database_free("HEAD", "/static/css/site.css")
    assert not database_free("POST", "/contact/") and not database_free("GET", "/crm/")
    assert not database_free("GET", "/healthz") and not database_free("GET", "/admin/")


def _hidden(html: str, name: str) -> list[str]:
    return re.findall(rf'name="{name}" value="([^"]*)"', html) or re.findall(rf'value="([^"]*)"[^>]*name="{name}"', html)


def test_the_cached_landing_page_gives_each_visit_fresh_form_values_that_post(db):
    """Rendered once, the page still carries a fresh idempotency key per form and visit, a valid
    timestamp and this visitor's CSRF token: a visitor can post the form they were given."""
    visitor = Client(enforce_csrf_checks=True)
    first, second = visitor.get("/").content.decode(), visitor.get("/").content.decode()
    idems = _hidden(first, "idem") + _hidden(second, "idem")
    assert len(idems) == 4 and len(set(idems)) == 4
    assert len(_hidden(first, "form_ts")) == 2 and all(_hidden(first, "form_ts"))
    assert MARK not in first
    data = {**form_data(email="cached@example.com"), "form_ts": _hidden(first, "form_ts")[0], "idem": _hidden(first, "idem")[0],
            "csrfmiddlewaretoken": _hidden(first, "csrfmiddlewaretoken")[0]}
    response = visitor.post("/contact/", data, HTTP_REFERER="http://testserver/")
    assert response.status_code == 302
    assert Message.objects.get(email="cached@example.com").idempotency_key == data["idem"]


def test_a_flash_message_is_shown_on_a_landing_page_rendered_for_its_visitor(client):
    from django.contrib.messages.storage.cookie import CookieStorage
    from django.http import HttpRequest

    assert client.get("/").status_code == 200  # the cached page exists
    storage = CookieStorage(HttpRequest())
    client.cookies["messages"] = storage._encode([Message_(20, "Thanks, we got it")])
    assert "Thanks, we got it" in client.get("/").content.decode()
