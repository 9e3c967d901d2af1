"""The Django admin on the embedded server: a superuser uses the auth pages; staff see and use
exactly the models their groups allow; model permissions come through Django's ModelBackend."""
import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from maniva_crm.services import SALES, roles_ensure
from tests.factories import make_message, make_user
from tests.helpers import ThreadCommands, site_client_listening

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client, db):
    client.force_login(make_user("root", superuser=True))
    return client


def lead_permissions() -> list[Permission]:
    return list(Permission.objects.filter(content_type__app_label="contact", codename__in=["view_lead", "change_lead"]))


def test_superuser_opens_the_user_and_group_pages(superuser_client):
    user = make_user("sam")
    group = Group.objects.create(name="Editors")
    group.permissions.set(lead_permissions())
    for url in (
        reverse("admin:auth_user_change", args=[user.pk]),
        reverse("admin:auth_group_add"),
        reverse("admin:auth_group_change", args=[group.pk]),
    ):
        response = superuser_client.get(url)
        assert response.status_code == 200, url
    page = superuser_client.get(reverse("admin:auth_group_change", args=[group.pk])).content.decode()
    assert "Contact | lead | Can view lead" in page  # the permission's label names its content type


def test_superuser_saves_a_group_with_permissions(superuser_client):
    chosen = lead_permissions()
    response = superuser_client.post(reverse("admin:auth_group_add"), {"name": "Lead editors", "permissions": [str(p.pk) for p in chosen]})
    assert response.status_code == 302, response.content.decode()[:2000]
    group = Group.objects.get(name="Lead editors")
    assert set(group.permissions.all()) == set(chosen)
    response = superuser_client.post(reverse("admin:auth_group_change", args=[group.pk]), {"name": "Lead viewers", "permissions": [str(chosen[0].pk)]})
    assert response.status_code == 302
    assert list(Group.objects.get(pk=group.pk).permissions.all()) == [chosen[0]]


def test_staff_use_exactly_the_models_their_group_allows(client):
    editors = Group.objects.create(name="Lead editors")
    editors.permissions.set(lead_permissions())
    staff = make_user("lena")
    staff.groups.add(editors)
    lead = make_message().lead
    client.force_login(staff)

    index = client.get(reverse("admin:index"))
    assert index.status_code == 200
    assert [(app["app_label"], model["object_name"]) for app in index.context["app_list"] for model in app["models"]] == [("contact", "Lead")]
    assert client.get(reverse("admin:contact_lead_changelist")).status_code == 200
    assert client.get(reverse("admin:contact_lead_change", args=[lead.pk])).status_code == 200
    for name in ("admin:contact_message_changelist", "admin:contact_outboxjob_changelist", "admin:auth_user_changelist",
                 "admin:auth_group_changelist", "admin:auth_group_add", "admin:contact_lead_add"):
        assert client.get(reverse(name)).status_code == 403, name


def test_model_permissions_come_through_groups():
    roles_ensure()
    user = make_user("sam", role=SALES)
    assert user.get_all_permissions() == {"maniva_crm.work_leads"}
    assert user.has_perm("maniva_crm.work_leads")
    assert not user.has_perm("maniva_crm.export_leads")


def test_the_growing_lists_are_counted_once(superuser_client):
    """Each count of a change list is a pass over its collection on the embedded server; the lists
    of messages, leads and jobs skip the second one Django makes for "N total", and the messages'
    and leads' lists, unfiltered, take the collection's estimate (a `count` command) instead."""
    make_message()
    with site_client_listening(ThreadCommands()) as listener:
        for model, passes, estimates in (("message", 0, 1), ("lead", 0, 1), ("outboxjob", 1, 0)):
            listener.arm()
            response = superuser_client.get(reverse(f"admin:contact_{model}_changelist"))
            sent = listener.disarm()
            counts = [c for name, c in sent if name == "aggregate" and "__count" in repr(c.get("pipeline"))]
            assert response.status_code == 200 and len(counts) == passes, (model, counts)
            assert len([c for name, c in sent if name == "count"]) == estimates, model
