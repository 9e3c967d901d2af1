import csv
import io
import json

import pytest
from django.urls import reverse

from contact.models import Lead, Message, OutboxJob, PushSubscription
from maniva_crm.models import AuditEntry, Note
from maniva_crm.views.export import csv_cell
from tests.factories import PASSWORD, make_message, make_user
from tests.helpers import NO_EDGE_WINDOW

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def lead(db):
    return make_message(name="Ana <script>alert(1)</script>", message="Hi <script>alert('x')</script> & bye").lead


def urls(lead) -> dict[str, str]:
    return {
        "inbox": reverse("crm:inbox"),
        "counts": reverse("crm:counts"),
        "lead": reverse("crm:lead", args=[lead.pk]),
        "dashboard": reverse("crm:dashboard"),
        "export": reverse("crm:export"),
        "lead_export": reverse("crm:lead_export", args=[lead.pk]),
        "audit": reverse("crm:audit"),
        "staff": reverse("crm:staff"),
    }


MANAGER_ONLY = {"export", "lead_export", "audit", "staff"}


def test_anonymous_is_sent_to_login(client, lead):
    for name, url in urls(lead).items():
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("crm:login")), name
    assert client.post(reverse("crm:lead_status", args=[lead.pk]), {"status": "won"}).status_code == 302
    assert Lead.objects.get(pk=lead.pk).status == "new"


def test_non_staff_and_staff_without_role_are_refused(client, lead, roles):
    for user in (make_user("visitor", staff=False), make_user("norole")):
        client.force_login(user)
        for name, url in urls(lead).items():
            assert client.get(url).status_code == 403, (user, name)
        assert client.post(reverse("crm:lead_status", args=[lead.pk]), {"status": "won"}).status_code == 403
    assert Lead.objects.get(pk=lead.pk).status == "new"


def test_sales_works_leads_but_cannot_export_erase_audit_or_manage(sales_client, lead):
    for name, url in urls(lead).items():
        assert sales_client.get(url).status_code == (403 if name in MANAGER_ONLY else 200), name
    response = sales_client.post(reverse("crm:lead_erase", args=[lead.pk]), {"confirm": lead.email})
    assert response.status_code == 403 and Lead.objects.filter(pk=lead.pk).exists()
    page = sales_client.get(reverse("crm:lead", args=[lead.pk])).content.decode()
    assert "Erase person" not in page and "Export person" not in page


def test_manager_can_do_everything(manager_client, lead):
    for name, url in urls(lead).items():
        assert manager_client.get(url).status_code == 200, name
    page = manager_client.get(reverse("crm:inbox")).content.decode()
    assert "Audit log" in page and "Export CSV" in page


def test_superuser_needs_no_group(client, lead):
    client.force_login(make_user("root", superuser=True))
    assert client.get(reverse("crm:audit")).status_code == 200


def test_output_is_escaped(sales_client, lead):
    for url in (reverse("crm:inbox"), reverse("crm:lead", args=[lead.pk])):
        page = sales_client.get(url).content.decode()
        assert "<script>alert" not in page and "&lt;script&gt;alert" in page


def test_inbox_search_and_htmx_partial(sales_client, lead):
    make_message(name="Bruno Costa", email="bruno@example.com", subject="Garage")
    page = sales_client.get(reverse("crm:inbox"), {"q": "garage"}).content.decode()
    assert "Bruno Costa" in page and "Ana" not in page and "<html" in page
    partial = sales_client.get(reverse("crm:inbox"), {"q": "garage"}, HTTP_HX_TARGET="inbox-results", **HTMX).content.decode()
    assert "Bruno Costa" in partial and "<html" not in partial
    counts = sales_client.get(reverse("crm:counts"), **HTMX).content.decode()
    assert "New" in counts and "<html" not in counts
    bad = sales_client.get(reverse("crm:inbox"), {"page": "x", "status": "nonsense"})
    assert bad.status_code == 200


def test_status_note_tags_assign_reply_as_plain_forms(sales_client, sales, lead):
    base = lambda action: reverse(f"crm:lead_{action}", args=[lead.pk])  # noqa: E731
    assert sales_client.post(base("status"), {"status": "qualified"}).status_code == 302
    assert sales_client.post(base("note"), {"body": "Likes <b>blue</b>"}).status_code == 302
    assert sales_client.post(base("tags"), {"tags": "vip, seo"}).status_code == 302
    assert sales_client.post(base("assign"), {"assignee": str(sales.pk)}).status_code == 302
    assert sales_client.post(base("reply"), {"subject": "Your site", "body": "Hello!"}).status_code == 302
    lead.refresh_from_db()
    assert (lead.status, lead.tags, lead.assignee) == ("qualified", ["vip", "seo"], sales)
    assert Note.objects.get(lead=lead).body == "Likes <b>blue</b>"
    assert OutboxJob.objects.get(lead=lead, kind="email").payload["subject"] == "Your site"
    page = sales_client.get(reverse("crm:lead", args=[lead.pk])).content.decode()
    assert "Likes &lt;b&gt;blue&lt;/b&gt;" in page and "queued a reply by email: Your site" in page and "not sent yet" in page
    assert sales_client.post(base("status"), {"status": "bogus"}).status_code == 400
    assert sales_client.post(base("note"), {"body": ""}).status_code == 400


def test_htmx_changes_return_the_work_panel(sales_client, lead):
    response = sales_client.post(reverse("crm:lead_status", args=[lead.pk]), {"status": "contacted"}, **HTMX)
    body = response.content.decode()
    assert response.status_code == 200 and body.lstrip().startswith('<div id="lead-work">') and "changed the status" in body
    response = sales_client.post(reverse("crm:lead_spam", args=[lead.pk]), {"verdict": "spam"}, **HTMX)
    assert "Not spam" in response.content.decode()
    assert set(Message.objects.filter(lead=lead).values_list("spam_label", flat=True)) == {"spam"}


def test_bulk_action(sales_client):
    leads = [make_message(email=f"b{i}@example.com").lead for i in range(3)]
    response = sales_client.post(reverse("crm:bulk"), {"ids": [str(lead.pk) for lead in leads[:2]], "op": "status:won", "back": "q=b0"})
    assert response.status_code == 302 and response["Location"].endswith("?q=b0")
    assert sorted(Lead.objects.values_list("status", flat=True)) == ["new", "won", "won"]
    sales_client.post(reverse("crm:bulk"), {"ids": [str(leads[2].pk)], "op": "tag:", "tag": "Hot"})
    assert Lead.objects.get(pk=leads[2].pk).tags == ["hot"]
    sales_client.post(reverse("crm:bulk"), {"ids": [str(leads[2].pk)], "op": "status:nope"})
    assert sales_client.post(reverse("crm:bulk"), {"ids": ["junk", ""], "op": "status:won"}).status_code == 302
    assert Lead.objects.get(pk=leads[2].pk).status == "new"


def test_csv_export_is_streamed_and_neutralises_formulas(manager_client):
    make_message(name="=HYPERLINK(\"http://evil\")", email="evil@example.com", company="+cmd", subject="@SUM(A1)")
    make_message(name="Plain Person", email="plain@example.com", subject="-10 off")
    response = manager_client.get(reverse("crm:export"))
    assert response.streaming and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:2] == ["name", "email"] and len(rows) == 3
    cells = [cell for row in rows[1:] for cell in row]
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)
    assert "'=HYPERLINK(\"http://evil\")" in cells and "'-10 off" in cells
    assert AuditEntry.objects.filter(action="export_csv").count() == 1
    assert csv_cell("\tx") == "'\tx" and csv_cell(3) == "3"


def test_gdpr_export_and_erase(manager_client, lead):
    response = manager_client.get(reverse("crm:lead_export", args=[lead.pk]))
    data = json.loads(response.content)
    assert data["lead"]["email"] == lead.email and data["messages"][0]["message"].startswith("Hi <script>")
    assert "attachment" in response["Content-Disposition"]
    refused = manager_client.post(reverse("crm:lead_erase", args=[lead.pk]), {"confirm": "wrong"})
    assert refused.status_code == 302 and Lead.objects.filter(pk=lead.pk).exists()
    response = manager_client.post(reverse("crm:lead_erase", args=[lead.pk]), {"confirm": lead.email})
    assert response.status_code == 302 and not Lead.objects.filter(pk=lead.pk).exists()
    assert not Message.objects.filter(email=lead.email).exists()
    audit = manager_client.get(reverse("crm:audit")).content.decode()
    assert "erased a person" in audit and lead.email not in audit


def test_unknown_lead_is_404(sales_client):
    assert sales_client.get(reverse("crm:lead", args=["nope"])).status_code == 404
    assert sales_client.get(reverse("crm:lead", args=["0" * 24])).status_code == 404


def test_staff_page_sets_roles(manager_client, roles):
    user = make_user("newbie", staff=False)
    response = manager_client.post(reverse("crm:staff"), {"user": str(user.pk), "role": "Sales"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.is_staff and list(user.groups.values_list("name", flat=True)) == ["Sales"]
    assert AuditEntry.objects.get(action="staff").data == {"user": "newbie", "changes": {"role": {"from": "", "to": "Sales"}}}


def test_login_only_for_staff_and_throttled(client, roles, settings):
    settings.LOGIN_THROTTLE = {"account_address": (2, NO_EDGE_WINDOW), "address": (100, NO_EDGE_WINDOW), "account": (100, NO_EDGE_WINDOW)}
    make_user("outsider", staff=False)
    make_user("sam2", role="Sales")
    url = reverse("crm:login")
    assert client.get(url).status_code == 200
    response = client.post(url, {"username": "outsider", "password": PASSWORD})
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    response = client.post(url, {"username": "sam2", "password": PASSWORD, "next": reverse("crm:inbox")})
    assert response.status_code == 302 and response["Location"] == reverse("crm:inbox")
    client.logout()
    client.post(url, {"username": "sam2", "password": "wrong"})
    client.post(url, {"username": "SAM2", "password": "wrong"})
    response = client.post(url, {"username": "sam2", "password": PASSWORD})
    page = response.content.decode()
    assert response.status_code == 429 and "Too many failed login attempts" in page and 'name="username"' in page
    assert int(response["Retry-After"]) > 0 and "_auth_user_id" not in client.session


def test_push_subscription_endpoint(sales_client, sales, monkeypatch):
    monkeypatch.setattr("contact.push_endpoint.resolve_host", lambda host, port: ["93.184.215.14"])  # no DNS here
    url = reverse("crm:push")
    body = {"endpoint": "https://push.example/sub/1", "keys": {"p256dh": "BPk", "auth": "xyz"}}
    response = sales_client.post(url, json.dumps(body), content_type="application/json")
    assert response.status_code == 201 and response.json()["subscribed"] is True
    assert PushSubscription.objects.get(endpoint=body["endpoint"]).user == sales
    bad = sales_client.post(url, json.dumps({"endpoint": "not a url"}), content_type="application/json")
    assert bad.status_code == 400
    response = sales_client.post(url, json.dumps({"action": "unsubscribe", "endpoint": body["endpoint"]}), content_type="application/json")
    assert response.json()["subscribed"] is False and not PushSubscription.objects.exists()
    assert sales_client.get(url).status_code == 405


def test_service_worker_is_served_under_crm(client, settings):
    response = client.get(reverse("crm:service_worker"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/crm/"
    assert b"showNotification" in b"".join(response.streaming_content)


def test_push_button_carries_the_vapid_key(sales_client, settings):
    settings.VAPID_PUBLIC_KEY = "BTestPublicKey"
    page = sales_client.get(reverse("crm:inbox")).content.decode()
    assert 'data-vapid-key="BTestPublicKey"' in page and "js/crm-push." in page


def test_dashboard_shows_charts_and_the_latest_analytics(sales_client, lead):
    from django.db import connection

    from analytics.services import REPORTS, report_store

    reports = connection.get_collection(REPORTS)
    reports.delete_many({})
    page = sales_client.get(reverse("crm:dashboard")).content.decode()
    assert "No analytics report yet" in page
    # The exact commands that fill the section, each a real subcommand (test_commands runs them).
    assert "python manage.py analytics spam --seed-corpus data/sms_spam_collection.csv\npython manage.py analytics report</code>" in page
    # A report stored before charts had titles and quality figures their sample size: its bare PNG
    # still shows, its metrics without a sample size do not.
    report_store(results={
        "created_at": "2026-11-24T10:00:00+00:00", "counts": {"total": 12},
        "spam": {"metrics": {"precision": 0.9, "recall": 0.8, "f1": 0.85}, "model": {"version": 3}},
        "topics": {"topics": [{"id": 0, "share": 0.5, "label": "web <shop>", "terms": ["shop", "site"]}], "by_month": {}},
        "charts": {"lengths": "iVBORw0KGgo="},
    })
    page = sales_client.get(reverse("crm:dashboard")).content.decode()
    assert 'src="data:image/png;base64,iVBORw0KGgo="' in page and "web &lt;shop&gt;" in page
    assert "F1 0.850" not in page and "analytics spam --seed-corpus" in page
    report_store(results={
        "created_at": "2026-11-25T10:00:00+00:00", "counts": {"total": 12},
        "spam": {"model": {"version": 3}, "quality": [{
            "model": "spam model v3", "method": "5-fold cross-validation on its training data", "data": "the corpus data/x.csv",
            "n": 5172, "positives": 650, "precision": 0.9, "recall": 0.8, "f1": 0.85}]},
        "topics": {"topics": [{"id": 0, "share": 0.5, "label": "web <shop>", "terms": ["shop", "site"]}], "by_month": {}},
        "changes": {"month": "2026-11", "baseline": ["2026-09", "2026-10"], "messages": 40, "baseline_messages": 80,
                    "rules": {"min_count": 5, "min_share": 0.02, "term_lift": 2.0, "topic_lift": 1.5, "baseline_months": 3},
                    "topics": [{"name": "ai / chatbot / <pilot>", "count": 12, "share": 0.3, "before": 2, "before_share": 0.025, "lift": 8.1}],
                    "terms": []},
        "charts": {"lengths": {"title": "How long messages are", "caption": "Half are shorter than 260 characters.",
                               "x_label": "Length", "y_label": "Share", "image": "data:image/svg+xml;base64,PHN2Zz48L3N2Zz4="}},
    })
    try:
        page = sales_client.get(reverse("crm:dashboard")).content.decode()
    finally:
        reports.delete_many({})
    assert "<svg" in page and "New leads per week" in page and 'src="data:image/svg+xml;base64,PHN2Zz48L3N2Zz4="' in page
    assert "<strong>How long messages are</strong>. Half are shorter than 260 characters.</figcaption>" in page
    assert "2026-11-25 10:00" in page and "F1 0.850 by 5-fold cross-validation on its training data, on 5172 examples (650 spam)" in page
    assert "What changed in 2026-11" in page and "<strong>ai / chatbot / &lt;pilot&gt;</strong>: 12 of 40 messages against 2 of 80 before, ×8.1" in page
    assert " style=" not in page and "<script>" not in page
    assert "analytics spam --seed-corpus" not in page


def test_dashboard_charts_carry_axes_in_words_a_caption_and_the_brand(sales_client, lead):
    import re

    page = sales_client.get(reverse("crm:dashboard")).content.decode()
    figures = re.findall(r'<figure class="crm-chart">(.*?)</figure>', page, re.S)
    assert len(figures) == 5
    for figure in figures:
        title = re.search(r'<span class="h6 d-block mb-1">([^<]+)</span>', figure).group(1)
        caption = re.search(r'<span class="crm-chart-caption small">([^<]+)</span>', figure).group(1)
        assert caption.endswith(".") and len(caption.split()) >= 3, caption
        assert f"<title>{title}</title>" in figure
        axis_labels = re.findall(r'<text class="crm-axis-label"[^>]*>([^<]+)</text>', figure)
        assert len(axis_labels) == 2 and all(len(label) > 3 for label in axis_labels), axis_labels
    assert "New leads each week over the last 12 weeks, spam left out: 1 in all" in page
    assert "Where all 1 leads stand now; the largest group is new (1)." in page
    # the brand: the bars take the site's colour from its stylesheet, in light and dark
    from django.contrib.staticfiles import finders

    css = open(finders.find("css/crm.css"), encoding="utf-8").read()
    assert ".crm-bar { fill: var(--mv-brand); }" in css and "var(--bs-body-font-family)" in css
    assert re.search(r'href="/static/css/site\.[0-9a-f]+\.css"', page) and re.search(r'href="/static/css/crm\.[0-9a-f]+\.css"', page)


def test_lead_page_ids_are_unique(sales_client, lead):
    import re

    page = sales_client.get(reverse("crm:lead", args=[lead.pk])).content.decode()
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


STAFF_ACCOUNT = {
    "new-username": "lena", "new-email": "lena@maniva.test", "new-first_name": "Lena", "new-last_name": "Sousa",
    "new-role": "Managers", "new-password1": "quiet-harbour-lantern-7", "new-password2": "quiet-harbour-lantern-7",
}


def test_staff_page_creates_an_account_that_can_log_in(manager_client):
    from django.contrib.auth import get_user_model
    from django.test import Client

    page = manager_client.get(reverse("crm:staff")).content.decode()
    assert 'action="/crm/staff/new/"' in page and 'name="new-password1"' in page and 'id="id_role"' in page
    response = manager_client.post(reverse("crm:staff_create"), STAFF_ACCOUNT)
    assert response.status_code == 302 and response["Location"] == reverse("crm:staff")
    assert "Staff account lena created with the role Managers." in manager_client.get(reverse("crm:staff")).content.decode()
    user = get_user_model().objects.get(username="lena")
    assert user.is_staff and list(user.groups.values_list("name", flat=True)) == ["Managers"]
    assert AuditEntry.objects.get(action="staff").data == {"user": "lena", "created": True, "changes": {"role": {"from": "", "to": "Managers"}}}
    newcomer = Client()
    response = newcomer.post(reverse("crm:login"), {"username": "lena", "password": "quiet-harbour-lantern-7"})
    assert response.status_code == 302 and newcomer.get(reverse("crm:staff")).status_code == 200


@pytest.mark.parametrize("change, field, code_text", [
    ({"new-password1": "password", "new-password2": "password"}, "new-password2", "too common"),
    ({"new-password1": "lena@maniva.test", "new-password2": "lena@maniva.test"}, "new-password2", "too similar"),
    ({"new-password1": "12345678901", "new-password2": "12345678901"}, "new-password2", "entirely numeric"),
    ({"new-password2": "quiet-harbour-lantern-8"}, "new-password2", "didn’t match"),
    ({"new-username": "MIA"}, "new-username", "already exists"),
    ({"new-email": ""}, "new-email", "required"),
    ({"new-role": "Admins"}, "new-role", "Select a valid choice"),
])
def test_staff_create_refuses_what_the_validators_refuse(manager_client, change, field, code_text):
    from django.contrib.auth import get_user_model

    response = manager_client.post(reverse("crm:staff_create"), {**STAFF_ACCOUNT, **change})
    assert response.status_code == 400
    page = response.content.decode()
    assert code_text in page and f'name="{field}"' in page
    assert not get_user_model().objects.filter(username__in=["lena", "MIA"]).exists()
    assert not AuditEntry.objects.filter(action="staff").exists()


def test_staff_create_is_for_managers_only_and_checks_csrf(sales_client, manager):
    from django.contrib.auth import get_user_model
    from django.test import Client

    url = reverse("crm:staff_create")
    assert sales_client.post(url, STAFF_ACCOUNT).status_code == 403
    assert sales_client.get(url).status_code == 405
    assert Client().post(url, STAFF_ACCOUNT)["Location"].startswith("/crm/login/")  # anonymous
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(manager)
    assert strict.post(url, STAFF_ACCOUNT).status_code == 403
    assert not get_user_model().objects.filter(username="lena").exists()
    token = strict.get(reverse("crm:staff")).context["csrf_token"]
    assert strict.post(url, {**STAFF_ACCOUNT, "csrfmiddlewaretoken": str(token)}).status_code == 302
    assert get_user_model().objects.filter(username="lena").exists()
