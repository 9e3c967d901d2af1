"""Each CRM request reads its session and its user afresh with one plain find each
(maniva_webapp.sessions, ThrottledModelBackend.get_user): a logout, a password change, a
deactivation or an expiry anywhere counts at the very next request, whichever process serves it.
A second test client holding the same cookie stands for another browser or process."""
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.utils import timezone

from maniva_crm.backends import ThrottledModelBackend
from maniva_webapp.plain_reads import model_get
from maniva_webapp.sessions import session_key_query
from tests.factories import PASSWORD
from tests.helpers import index_names

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_browsers(client, sales) -> tuple[Client, Client]:
    """`client` logged in as Sales, and a second client holding a copy of its session cookie."""
    assert client.login(username=sales.username, password=PASSWORD)
    other = Client()
    other.cookies = client.cookies.__class__(client.cookies)
    assert client.get("/crm/").status_code == 200 and other.get("/crm/").status_code == 200
    return client, other


def _refused(client: Client) -> bool:
    response = client.get("/crm/")
    return response.status_code == 302 and "/crm/login/" in response["Location"]


def test_a_logout_refuses_every_copy_of_the_session_at_once(two_browsers):
    client, other = two_browsers
    client.post("/crm/logout/")
    assert _refused(other)


def test_a_password_change_refuses_the_other_sessions_at_once(two_browsers, sales):
    _, other = two_browsers
    sales.set_password("a-new-Passw0rd-for-sam")
    sales.save()
    assert _refused(other)


@pytest.mark.parametrize("change", [{"is_active": False}, {"is_staff": False}])
def test_a_deactivated_or_destaffed_account_is_refused_at_once(two_browsers, sales, change):
    _, other = two_browsers
    get_user_model().objects.filter(pk=sales.pk).update(**change)
    response = other.get("/crm/")
    assert response.status_code in (302, 403) and (response.status_code == 403 or "/crm/login/" in response["Location"])


def test_an_expired_session_is_refused(two_browsers):
    client, _ = two_browsers
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    assert _refused(client)


def test_the_plain_reads_build_the_same_instances_as_the_orm(sales):
    orm = get_user_model().objects.get(pk=sales.pk)
    plain = ThrottledModelBackend().get_user(str(sales.pk))
    fields = [f.attname for f in get_user_model()._meta.concrete_fields]
    assert [(getattr(plain, f), type(getattr(plain, f))) for f in fields] == [(getattr(orm, f), type(getattr(orm, f))) for f in fields]
    assert not plain._state.adding and plain._state.db == "default"
    assert ThrottledModelBackend().get_user("not-an-id") is None
    assert ThrottledModelBackend().get_user("0" * 24) is None
    Client().force_login(sales)
    session = Session.objects.get()
    assert model_get(Session, {"session_key": session.session_key}).get_decoded() == session.get_decoded()


def test_the_session_read_goes_through_the_plain_key_index_and_expired_sessions_are_left_to_the_server(sales):
    """Django's unique index on session_key is partial, which no planner picks for the read by key
    (tests/dbcompat): the read goes through the plain index beside it, 300 other sessions stored."""
    sessions = connection.get_collection(Session._meta.db_table)
    now = timezone.now()
    sessions.insert_many([
        {"session_key": f"other{n:035d}", "session_data": "x", "expire_date": now + timedelta(days=n % 3 - 1)} for n in range(300)
    ])
    Client().force_login(sales)
    key = Session.objects.exclude(session_key__startswith="other").get().session_key
    explained = sessions.database.command({"explain": {"find": sessions.name, "filter": session_key_query(key)}, "verbosity": "executionStats"})
    assert index_names(explained) == ["session_key_lookup"], explained["queryPlanner"]["winningPlan"]
    assert explained["executionStats"]["totalDocsExamined"] == 1
    ttl = [spec.get("expireAfterSeconds") for spec in sessions.index_information().values() if spec["key"] == [("expire_date", 1)]]
    assert ttl == [0]  # the server's TTL monitor deletes each session once expire_date has passed
