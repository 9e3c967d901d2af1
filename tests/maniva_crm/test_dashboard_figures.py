"""The dashboard's figures (issue 15): its passes over every lead and message (5.3 s at 100,000
messages on the embedded server) are computed by the worker every few minutes and stored; a page
reads the stored copy, and only leads by status (maintained counts) is read as it is now."""
import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from contact.worker import worker_loop
from maniva_crm import selectors, services
from maniva_crm.models import DashboardFigures
from tests.factories import make_message
from tests.helpers import ThreadCommands, site_client_listening

pytestmark = pytest.mark.django_db


def passes(commands: list[tuple[str, dict]]) -> list[str]:
    """The collections the page aggregated over."""
    return [command["aggregate"] for name, command in commands if name == "aggregate"]


def test_the_first_view_computes_and_stores_the_figures_later_views_read_them(sales_client):
    make_message(email="a@example.com", country="PT")
    make_message(email="b@example.com", country="DE", kind="consultation")
    with site_client_listening(ThreadCommands()) as commands:
        commands.arm()
        first = sales_client.get("/crm/dashboard/").content.decode()
        computed = passes(commands.disarm())
        commands.arm()
        again = sales_client.get("/crm/dashboard/").content.decode()
        read = passes(commands.disarm())
    assert computed.count("contact_lead") == 3 and computed.count("contact_message") == 1
    assert not {"contact_lead", "contact_message"} & set(read)
    assert DashboardFigures.objects.count() == 1
    for page in (first, again):
        assert "The 2 countries most leads write from" in page and "Which form the 2 messages of the last 12 weeks came through" in page
        assert "the other charts as of " in page and "computed again every 5 minutes" in page


def test_stored_figures_are_shown_until_the_worker_computes_them_again(sales_client, sales):
    lead = make_message(email="a@example.com", country="PT").lead
    services.dashboard_figures_refresh()
    make_message(email="b@example.com", country="DE")
    services.lead_status_set(lead=lead, status="contacted", actor=sales)
    stats = selectors.dashboard_stats(stored=selectors.dashboard_figures_stored())
    assert [bar.label for bar in stats["by_country"].bars] == ["PT"] and stats["answered"] == 0  # as stored
    assert stats["by_status"].total == 2  # leads by status as now

    assert services.dashboard_refresh_when_due() is None  # fresh: nothing to do
    DashboardFigures.objects.update(computed_at=timezone.now() - services.DASHBOARD_REFRESH)
    thread = services.dashboard_refresh_when_due()
    thread.join()
    stats = selectors.dashboard_stats(stored=selectors.dashboard_figures_stored())
    assert sorted(bar.label for bar in stats["by_country"].bars) == ["DE", "PT"] and stats["answered"] == 1
    assert DashboardFigures.objects.count() == 1  # the older copy is gone


def test_stored_figures_give_the_charts_the_figures_computed_now_give():
    make_message(email="a@example.com", country="PT", ago=timedelta(days=3))
    make_message(email="b@example.com", country="DE", kind="consultation", ago=timedelta(days=20))
    make_message(email="c@example.com", country="DE", spam=True)
    now, stored = selectors.dashboard_stats(), selectors.dashboard_stats(stored=services.dashboard_figures_refresh())
    for chart in ("per_week", "by_status", "by_country", "by_form", "response"):
        assert [(bar.label, bar.value) for bar in stored[chart].bars] == [(bar.label, bar.value) for bar in now[chart].bars], chart
        assert stored[chart].caption == now[chart].caption
    assert stored["per_week"].total == 2 and stored["computed_at"] is not None and now["computed_at"] is None


def test_the_worker_loop_computes_missing_figures():
    make_message(email="a@example.com", country="PT")
    passes_made = []
    worker_loop(worker="test", poll_seconds=0, should_stop=lambda: bool(passes_made) or passes_made.append(1))
    for thread in [t for t in threading.enumerate() if t.name == "dashboard-refresh"]:
        thread.join()
    assert [bar.label for bar in selectors.dashboard_stats(stored=selectors.dashboard_figures_stored())["by_country"].bars] == ["PT"]
