"""ThrottledModelBackend's permission reads: ModelBackend's answers and caches, without joins."""
import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import AnonymousUser, Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from maniva_crm.backends import ThrottledModelBackend
from maniva_crm.services import MANAGERS, SALES
from tests.factories import make_user


def fresh(user):
    return get_user_model().objects.get(pk=user.pk)


@pytest.fixture
def mixed(roles):
    """A user with permissions of her own and through two groups that share some."""
    user = make_user("ines", role=SALES)
    user.groups.add(Group.objects.get(name=MANAGERS))
    user.user_permissions.add(Permission.objects.get(codename="view_group"), Permission.objects.get(codename="change_user"))
    return user


def test_same_permissions_as_model_backend(mixed):
    ours, django = ThrottledModelBackend(), ModelBackend()
    expected = django.get_all_permissions(fresh(mixed))
    assert {"auth.view_group", "auth.change_user", "maniva_crm.work_leads", "maniva_crm.manage_staff"} <= expected
    assert ours.get_all_permissions(fresh(mixed)) == expected
    assert ours.get_user_permissions(fresh(mixed)) == django.get_user_permissions(fresh(mixed)) == {"auth.view_group", "auth.change_user"}
    assert ours.get_group_permissions(fresh(mixed)) == django.get_group_permissions(fresh(mixed))


def test_has_perm_through_the_project_backend(mixed):
    user = fresh(mixed)
    assert user.has_perm("auth.view_group")  # direct
    assert user.has_perm("maniva_crm.manage_staff")  # through a group
    assert not user.has_perm("auth.delete_user")
    assert user.has_module_perms("maniva_crm")


def test_no_joins_and_model_backends_caches(mixed):
    backend, user = ThrottledModelBackend(), fresh(mixed)
    with CaptureQueriesContext(connection) as queries:
        permissions = backend.get_all_permissions(user)
    assert queries.captured_queries and not any("$lookup" in query["sql"] for query in queries.captured_queries)
    assert user._perm_cache == permissions == user._user_perm_cache | user._group_perm_cache
    with CaptureQueriesContext(connection) as queries:
        assert user.has_perm("auth.view_group") and backend.get_all_permissions(user) == permissions
    assert not queries.captured_queries


def test_user_without_permissions(roles):
    user = fresh(make_user("nobody"))
    assert ThrottledModelBackend().get_all_permissions(user) == set() == ModelBackend().get_all_permissions(fresh(user))


def test_inactive_anonymous_and_object_permissions_are_empty(mixed):
    backend = ThrottledModelBackend()
    mixed.is_active = False
    mixed.save()
    assert backend.get_all_permissions(fresh(mixed)) == set()
    assert backend.get_user_permissions(AnonymousUser()) == backend.get_group_permissions(AnonymousUser()) == set()
    mixed.is_active = True
    mixed.save()
    assert backend.get_user_permissions(fresh(mixed), obj=mixed) == backend.get_group_permissions(fresh(mixed), obj=mixed) == set()


def test_superuser_has_every_permission(db):
    admin = make_user("root", superuser=True)
    permissions = ThrottledModelBackend().get_all_permissions(fresh(admin))
    assert permissions == ModelBackend().get_all_permissions(fresh(admin))
    assert len(permissions) == Permission.objects.count()


def test_async_reads_agree(mixed):
    backend = ThrottledModelBackend()
    assert async_to_sync(backend.aget_all_permissions)(fresh(mixed)) == ModelBackend().get_all_permissions(fresh(mixed))


def test_permissions_shared_by_requests_of_one_user_only_and_dropped_on_a_change(roles):
    """Each request loads a fresh user: the second within the TTL reads no permissions, another user
    never gets the first one's, and a change of roles in this process shows at once."""
    sales, other = make_user("sara", role=SALES), make_user("olga")
    assert fresh(sales).has_perm("maniva_crm.work_leads")
    with CaptureQueriesContext(connection) as queries:
        assert fresh(sales).has_perm("maniva_crm.work_leads")
    assert len(queries.captured_queries) == 1  # the user; its permissions came from the process cache
    assert not fresh(other).has_perm("maniva_crm.work_leads")
    sales.groups.remove(Group.objects.get(name=SALES))
    assert not fresh(sales).has_perm("maniva_crm.work_leads")
    Group.objects.get(name=SALES).user_set.add(other)
    assert fresh(other).has_perm("maniva_crm.work_leads")
