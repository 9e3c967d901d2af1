from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import connection

from contact import services as contact_services
from contact.models import Lead, LeadStatus, Message, OutboxJob, PushSubscription
from contact.ratelimit import COLLECTION
from contact.replytoken import reply_address
from maniva_crm import services
from maniva_crm.permissions import crm_permissions
from maniva_crm.models import AuditAction, AuditEntry, Note
from tests.factories import make_message, make_user

pytestmark = pytest.mark.django_db


def test_roles_ensure_is_idempotent_and_grants_the_right_permissions(roles):
    services.roles_ensure()
    sales = make_user("s1", role=services.SALES)
    manager = make_user("m1", role=services.MANAGERS)
    assert Group.objects.filter(name__in=[services.SALES, services.MANAGERS]).count() == 2
    assert crm_permissions(sales) == {"work_leads"}
    assert crm_permissions(manager) == {"work_leads", "export_leads", "erase_person", "manage_staff", "view_auditentry"}


def test_permissions_come_from_groups_and_direct_grants_and_only_from_the_crm(roles):
    from django.contrib.auth.models import Permission

    services.roles_ensure()
    user = make_user("direct", role=None)
    assert crm_permissions(user) == set()
    user.user_permissions.add(Permission.objects.get(codename="export_leads"))
    user.user_permissions.add(Permission.objects.get(codename="add_group"))  # another app's: not a CRM permission
    fresh = type(user).objects.get(pk=user.pk)  # the set is cached on the user object
    assert crm_permissions(fresh) == {"export_leads"}
    fresh.groups.add(Group.objects.get(name=services.SALES))
    assert crm_permissions(type(user).objects.get(pk=user.pk)) == {"export_leads", "work_leads"}


def test_status_change_sets_first_contact_and_writes_the_timeline(sales):
    lead = make_message().lead
    lead = services.lead_status_set(lead=lead, status=LeadStatus.CONTACTED, actor=sales)
    assert lead.status == "contacted" and lead.first_contacted_at is not None
    entry = AuditEntry.objects.get(lead=lead)
    assert (entry.action, entry.actor_name, entry.data) == ("status", "sam", {"changes": {"status": {"from": "new", "to": "contacted"}}})
    with pytest.raises(ValueError):
        services.lead_status_set(lead=lead, status="bogus", actor=sales)


def test_spam_and_not_spam_label_every_message_for_the_model(sales):
    first = make_message()
    make_message(subject="Second", ago=timedelta(minutes=-1))
    lead = services.lead_status_set(lead=first.lead, status=LeadStatus.SPAM, actor=sales)
    assert lead.is_spam and lead.status == "spam"
    assert set(Message.objects.filter(lead=lead).values_list("spam_label", flat=True)) == {"spam"}
    lead = services.lead_spam_mark(lead=lead, spam=False, actor=sales)
    assert not lead.is_spam and lead.status == "new"
    assert set(Message.objects.filter(lead=lead).values_list("spam_label", flat=True)) == {"ham"}
    assert [e.action for e in AuditEntry.objects.filter(lead=lead).order_by("created_at", "pk")] == ["spam", "ham"]  # may share a millisecond


def test_note_tags_and_assignment_notify_the_assignee(sales, manager):
    lead = make_message().lead
    PushSubscription.objects.create(user=manager, endpoint="https://push.example/1", p256dh="k", auth="a", created_at=lead.created_at)
    note = services.lead_note_add(lead=lead, body="Called, <b>call back</b> Monday", actor=sales)
    assert Note.objects.get(pk=note.pk).author == sales
    lead = services.lead_tags_set(lead=lead, tags=["VIP", " seo ", "vip", ""], actor=sales)
    assert lead.tags == ["vip", "seo"]
    lead = services.lead_assign(lead=lead, assignee=manager, actor=sales)
    assert lead.assignee == manager
    jobs = OutboxJob.objects.filter(lead=lead, key__startswith="assign")
    assert sorted(j.kind for j in jobs) == ["email", "push"]
    email = jobs.get(kind="email")
    assert email.payload["to"] == ["mia@maniva.test"] and email.payload["template"] == "maniva_crm/email/assigned"
    actions = list(AuditEntry.objects.filter(lead=lead).values_list("action", flat=True))
    assert sorted(actions) == ["assign", "note", "tags"]


def test_reply_goes_through_the_outbox_and_is_delivered(sales, smtp_server, settings):

    lead = make_message().lead
    job = services.lead_reply(lead=lead, subject="Your bakery site", body="Hi Ana,\nhere is our plan & price.", actor=sales)
    lead.refresh_from_db()
    assert lead.status == "contacted" and lead.first_contacted_at
    assert job.payload["reply_to"] == [reply_address(lead_id=lead.pk)]  # back to the lead, not to one mailbox
    assert AuditEntry.objects.get(lead=lead, action="reply").data["subject"] == "Your bakery site"


def test_reply_email_is_sent_with_reply_to_the_leads_reply_address(sales, smtp_server):
    from contact.delivery import job_run

    lead = make_message().lead
    job = services.lead_reply(lead=lead, subject="Your bakery site", body="Plan & price <soon>", actor=sales)
    job_run(job)
    mail = smtp_server.wait_for(1)[0]
    assert mail["To"] == "ana@example.com" and mail["Reply-To"].strip() == reply_address(lead_id=lead.pk)
    text = next(part for part in mail.walk() if part.get_content_type() == "text/plain").get_payload(decode=True).decode()
    assert "Plan & price <soon>" in text


def test_bulk_actions_apply_to_each_lead(sales, manager):
    leads = [make_message(email=f"p{i}@example.com").lead for i in range(3)]
    ids = [str(lead.pk) for lead in leads]
    assert services.leads_bulk(lead_ids=ids[:2], action="status", value="qualified", actor=sales) == 2
    assert sorted(Lead.objects.values_list("status", flat=True)) == ["new", "qualified", "qualified"]
    services.leads_bulk(lead_ids=ids, action="assign", value="", actor=sales, assignee=manager)
    assert Lead.objects.filter(assignee=manager).count() == 3
    services.leads_bulk(lead_ids=ids, action="tag", value="Retainer", actor=sales)
    assert all(lead.tags == ["retainer"] for lead in Lead.objects.all())
    with pytest.raises(ValueError):
        services.leads_bulk(lead_ids=ids, action="delete", value="", actor=sales)


def test_erase_removes_the_person_and_leaves_an_anonymous_audit_entry(sales, manager):
    message = make_message(email="gone@example.com", name="Gone Person")
    lead = message.lead
    make_message(email="gone@example.com", name="Gone Person", subject="again")
    other = make_message(email="stays@example.com").lead
    services.lead_note_add(lead=lead, body="secret note", actor=sales)
    services.lead_reply(lead=lead, subject="hello", body="hi", actor=sales)
    connection.get_collection(COLLECTION).insert_one({"_id": "email:gone@example.com:1", "count": 1})
    counts = services.person_erase(lead=lead, actor=manager)
    assert counts["messages"] == 3 and counts["notes"] == 1 and counts["rate_limits"] == 1 and counts["outbox"] >= 3
    assert not Lead.objects.filter(pk=lead.pk).exists()
    assert not Message.objects.filter(email="gone@example.com").exists()
    assert not OutboxJob.objects.filter(lead_id=lead.pk).exists()
    assert not Note.objects.filter(lead_id=lead.pk).exists()
    assert not AuditEntry.objects.filter(lead_id=lead.pk).exists()
    entry = AuditEntry.objects.get(action=AuditAction.ERASE)
    assert "gone" not in str(entry.data).lower() and "Gone" not in str(entry.data)
    assert Lead.objects.filter(pk=other.pk).exists()


def test_push_subscription_save_and_delete(sales, manager):
    contact_services.push_subscription_save(user=sales, endpoint="https://push.example/abc", p256dh="p", auth="a")
    contact_services.push_subscription_save(user=manager, endpoint="https://push.example/abc", p256dh="p2", auth="a2")
    subscription = PushSubscription.objects.get(endpoint="https://push.example/abc")
    assert subscription.user == manager and subscription.p256dh == "p2"
    assert contact_services.push_subscription_delete(user=sales, endpoint="https://push.example/abc") == 0
    assert contact_services.push_subscription_delete(user=manager, endpoint="https://push.example/abc") == 1


def test_erase_forgets_analytics_reports_and_a_model_trained_on_the_person(db, manager, settings, tmp_path):
    from django.db import connection

    from analytics.services import REPORTS, report_store
    from contact.models import Lead, Message

    message = make_message(email="gone@example.com")
    Message.objects.filter(pk=message.pk).update(spam_label="ham")
    report_store(results={"terms": ["gone"]})
    settings.ANALYTICS_MODEL_PATH = tmp_path / "model.joblib"
    settings.ANALYTICS_MODEL_PATH.write_bytes(b"model")

    counts = services.person_erase(lead=Lead.objects.get(pk=message.lead_id), actor=manager)

    assert counts["analytics"] == 2
    assert connection.get_collection(REPORTS).count_documents({}) == 0
    assert not settings.ANALYTICS_MODEL_PATH.exists()


def test_staff_create_makes_a_staff_account_with_one_role_and_an_audit_entry(manager):
    from django.contrib.auth import get_user_model

    user = services.staff_create(
        username="lena", email="lena@maniva.test", first_name="Lena", last_name="Sousa", role=services.SALES,
        password="quiet-harbour-lantern-7", actor=manager,
    )
    fresh = get_user_model().objects.get(pk=user.pk)
    assert fresh.is_staff and fresh.is_active and not fresh.is_superuser
    assert (fresh.email, fresh.get_full_name()) == ("lena@maniva.test", "Lena Sousa")
    assert fresh.check_password("quiet-harbour-lantern-7")
    assert crm_permissions(fresh) == {"work_leads"}
    entry = AuditEntry.objects.get(action=AuditAction.STAFF)
    assert entry.actor_name == "mia" and entry.data == {"user": "lena", "created": True, "changes": {"role": {"from": "", "to": "Sales"}}}
    with pytest.raises(ValueError, match="unknown role"):
        services.staff_create(username="x", email="x@maniva.test", role="Admins", password="quiet-harbour-lantern-7", actor=manager)
    assert not get_user_model().objects.filter(username="x").exists()
