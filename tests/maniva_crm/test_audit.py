"""One shape of audit data ({"changes": {field: {"from", "to"}}, details…}), one writer, and
entries written before that shape still reading the same on the timeline and the audit log."""
import pytest
from django.urls import reverse
from django.utils import timezone

from contact.models import LeadStatus
from maniva_crm import services
from maniva_crm.audit import audit_entry_text, audit_record
from maniva_crm.models import AuditAction, AuditEntry
from maniva_crm.selectors import lead_timeline
from tests.factories import make_message

pytestmark = pytest.mark.django_db


def _legacy(action: str, data: dict, lead=None) -> AuditEntry:
    return AuditEntry.objects.create(lead=lead, actor_name="old", action=action, data=data, created_at=timezone.now())


def test_every_change_is_recorded_as_from_and_to(sales, manager):
    lead = make_message().lead
    services.lead_status_set(lead=lead, status=LeadStatus.QUALIFIED, actor=sales)
    services.lead_tags_set(lead=lead, tags=["Retainer"], actor=sales)
    services.lead_assign(lead=lead, assignee=manager, actor=sales)
    services.lead_assign(lead=lead, assignee=None, actor=sales)
    services.lead_spam_mark(lead=lead, spam=True, actor=sales)
    services.lead_spam_mark(lead=lead, spam=False, actor=sales)
    entries = list(AuditEntry.objects.filter(lead=lead).order_by("created_at", "pk"))
    assert [(e.action, e.data.get("changes")) for e in entries] == [
        ("status", {"status": {"from": "new", "to": "qualified"}}),
        ("tags", {"tags": {"from": [], "to": ["retainer"]}}),
        ("assign", {"assignee": {"from": "", "to": "mia"}}),
        ("assign", {"assignee": {"from": "mia", "to": ""}}),
        ("spam", {"status": {"from": "qualified", "to": "spam"}, "is_spam": {"from": False, "to": True}}),
        ("ham", {"status": {"from": "spam", "to": "new"}, "is_spam": {"from": True, "to": False}}),
    ]
    assert [audit_entry_text(e) for e in entries[:4]] == ["new → qualified", "retainer", "to mia", "to nobody"]


def test_audit_record_refuses_unknown_actions_and_changes_passed_as_details(sales):
    with pytest.raises(ValueError):
        audit_record(action="frobnicate", actor=sales)
    with pytest.raises(ValueError):
        audit_record(action=AuditAction.STAFF, actor=sales, details={"changes": {}})


def test_entries_of_the_old_shape_read_as_changes():
    assert _legacy("status", {"from": "new", "to": "won"}).changes == {"status": {"from": "new", "to": "won"}}
    assert _legacy("tags", {"from": ["a"], "to": []}).changes == {"tags": {"from": ["a"], "to": []}}
    assert _legacy("assign", {"to": "sam", "to_id": "1"}).changes == {"assignee": {"from": None, "to": "sam"}}
    assert _legacy("spam", {"from": "contacted"}).changes == {"status": {"from": "contacted", "to": "spam"}}
    assert _legacy("ham", {"from": "spam"}).changes == {"status": {"from": "spam", "to": "new"}}
    assert _legacy("ham", {"from": "won"}).changes == {"status": {"from": "won", "to": "won"}}
    staff = _legacy("staff", {"user": "lena", "role": "Sales"})
    assert (staff.changes, staff.summary) == ({}, "user: lena; role: Sales")
    assert _legacy("assign", {"to": "sam", "to_id": "1"}).summary == "assignee: — → sam"


def test_timeline_and_audit_log_show_old_and_new_entries_alike(sales, manager, manager_client):
    lead = make_message().lead
    _legacy("status", {"from": "new", "to": "won"}, lead=lead)
    _legacy("tags", {"from": [], "to": ["vip", "web"]}, lead=lead)
    services.lead_status_set(lead=lead, status=LeadStatus.LOST, actor=sales)
    texts = {item.text for item in lead_timeline(lead=lead) if item.kind in ("status", "tags")}
    assert texts == {"new → won", "vip, web", "new → lost"}
    page = manager_client.get(reverse("crm:audit")).content.decode()
    assert "status: new → won" in page and "tags: none → vip, web" in page and "status: new → lost" in page
