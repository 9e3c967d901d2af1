"""A lead's page, its export and the audit log read related rows by id (issue 15), seen by a pymongo
CommandListener on the site's client: django-mongodb-backend puts a select_related()'s $lookup
before its $match, so the server would join every document of the collection before it filters
(a lead's page took 0.6 s at 3,000 leads)."""
import pytest

from maniva_crm.services import lead_assign, lead_note_add
from tests.factories import make_message
from tests.helpers import ThreadCommands, site_client_listening

pytestmark = pytest.mark.django_db


class Joins(ThreadCommands):
    """The collections this thread aggregates with a $lookup while armed."""

    def disarm(self) -> list[str]:
        return [command["aggregate"] for name, command in super().disarm()
                if name == "aggregate" and any("$lookup" in stage for stage in command.get("pipeline", []))]


def test_a_lead_its_export_and_the_audit_log_are_read_without_a_join(manager_client, manager, sales):
    for n in range(3):
        make_message(email=f"other{n}@example.com", name=f"Other {n}")
    lead = make_message(email="ana@example.com", name="Ana Souza").lead
    lead_assign(lead=lead, assignee=sales, actor=manager)
    lead_note_add(lead=lead, body="Called back, wants a quote", actor=manager)
    pages = {
        f"/crm/leads/{lead.pk}/": ["assigned to sam", "Called back, wants a quote"],
        f"/crm/leads/{lead.pk}/export.json": ["Called back, wants a quote"],
        "/crm/audit/": [f'href="{lead.get_absolute_url()}">Ana Souza</a>'],
    }
    with site_client_listening(Joins()) as joins:
        for url, shown in pages.items():
            joins.arm()
            response = manager_client.get(url)
            assert joins.disarm() == [], url
            assert response.status_code == 200
            body = response.content.decode()
            assert all(text in body for text in shown), (url, shown)
