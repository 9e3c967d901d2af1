"""Canned replies: managed by Managers only, inserted into a reply in the lead's language with the
placeholders filled in and escaped wherever they are shown."""
from datetime import timedelta

import pytest
from django.utils import timezone

from contact.delivery import job_run
from contact.models import Message
from maniva_crm import selectors, services
from maniva_crm.models import CannedReply
from tests.factories import make_message

pytestmark = pytest.mark.django_db


def canned(title: str, language: str, body: str) -> CannedReply:
    return services.canned_reply_save(title=title, language=language, body=body)


def test_only_managers_manage_canned_replies(client, sales, manager):
    reply = canned("Thanks", "en", "Thanks {first_name}!")
    client.force_login(sales)
    assert client.get("/crm/canned/").status_code == 403
    assert client.post("/crm/canned/", {"title": "X", "language": "en", "body": "b"}).status_code == 403
    assert client.post(f"/crm/canned/{reply.pk}/", {"title": "X", "language": "en", "body": "b"}).status_code == 403
    assert client.post(f"/crm/canned/{reply.pk}/delete/").status_code == 403
    assert CannedReply.objects.get().title == "Thanks"
    client.logout()
    assert client.get("/crm/canned/").status_code == 302  # to the login page


def test_a_manager_adds_edits_and_deletes_a_canned_reply(manager_client):
    assert "Canned replies" in manager_client.get("/crm/").content.decode()  # in the Managers' navigation
    response = manager_client.post("/crm/canned/", {"title": "  Price   list ", "language": "pt_BR", "body": "Olá {first_name}"})
    assert response.status_code == 302
    reply = CannedReply.objects.get()
    assert (reply.title, reply.language, reply.body) == ("Price list", "pt-br", "Olá {first_name}")
    duplicate = manager_client.post("/crm/canned/", {"title": "Price list", "language": "PT-br", "body": "again"})
    assert duplicate.status_code == 400 and "exists already" in duplicate.content.decode()
    assert manager_client.post("/crm/canned/", {"title": "Bad", "language": "not a tag!", "body": "x"}).status_code == 400
    page = manager_client.get(f"/crm/canned/{reply.pk}/")
    assert page.status_code == 200 and "Olá {first_name}" in page.content.decode()
    assert manager_client.post(f"/crm/canned/{reply.pk}/", {"title": "Price list", "language": "pt-br", "body": "Oi {name}"}).status_code == 302
    assert CannedReply.objects.get().body == "Oi {name}"
    assert "Price list" in manager_client.get("/crm/canned/").content.decode()
    assert manager_client.get("/crm/canned/0123456789abcdef01234567/").status_code == 404
    assert manager_client.post(f"/crm/canned/{reply.pk}/delete/").status_code == 302
    assert not CannedReply.objects.exists()


def test_placeholders_are_filled_and_escaped_on_the_page_and_in_the_mail(sales_client, sales, smtp_server):
    sales.first_name, sales.last_name = "Sam", "<Sales>"
    sales.save()
    lead = make_message(name="<script>alert(1)</script> Souza", company="Bolo & Pão").lead
    reply = canned("Welcome", "en", "Hi {first_name} of {company},\nthis is {staff_name}. {unknown} {first_name.__class__}")
    rendered = selectors.canned_render(body=reply.body, lead=lead, staff=sales)
    assert rendered == "Hi <script>alert(1)</script> of Bolo & Pão,\nthis is Sam <Sales>. {unknown} {first_name.__class__}"
    page = sales_client.get(lead.get_absolute_url()).content.decode()
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; of Bolo &amp; Pão" in page
    # without JavaScript: the Insert button reloads the page with the reply form filled in
    filled = sales_client.get(f"{lead.get_absolute_url()}?canned={reply.pk}").content.decode()
    assert '<details class="mb-3" id="reply" open>' in filled
    assert "Hi &lt;script&gt;alert(1)&lt;/script&gt; of Bolo &amp; Pão,\nthis is Sam &lt;Sales&gt;." in filled
    assert "<script>alert(1)" not in filled
    job = services.lead_reply(lead=lead, subject="Welcome", body=rendered, actor=sales)
    job_run(job)
    mail = smtp_server.wait_for(1)[0]
    html = next(p for p in mail.walk() if p.get_content_type() == "text/html").get_payload(decode=True).decode()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_variant_follows_the_leads_latest_locale_with_english_as_fallback(sales):
    for language, text in [("en", "Hello {first_name}"), ("pt", "Olá {first_name}"), ("pt-br", "Oi {first_name}"), ("de", "Hallo")]:
        canned("Greeting", language, text)
    canned("Only German", "de", "Nur Deutsch")
    canned("English only", "en", "Just English")
    lead = make_message(name="Ana Souza", ago=timedelta(hours=1)).lead

    def bodies() -> dict[str, str]:
        return {c.title: c.body for c in selectors.canned_for_lead(lead=lead, staff=sales)}

    assert bodies() == {"English only": "Just English", "Greeting": "Hello Ana", "Only German": "Nur Deutsch"}  # no locale
    Message.objects.filter(lead=lead).update(locale="pt-BR")
    assert bodies()["Greeting"] == "Oi Ana"
    Message.objects.filter(lead=lead).update(locale="pt-PT")
    assert bodies()["Greeting"] == "Olá Ana"  # the primary language
    Message.objects.filter(lead=lead).update(locale="fr-FR")
    assert bodies()["Greeting"] == "Hello Ana"  # English, the fallback
    later = make_message(name="Ana Souza")  # the latest message decides
    Message.objects.filter(pk=later.pk).update(locale="de-AT", received_at=timezone.now())
    assert bodies()["Greeting"] == "Hallo"
    assert selectors.lead_language(lead=lead) == "de-at"


def test_the_lead_page_offers_each_canned_reply_once_in_the_leads_language(sales_client):
    canned("Greeting", "en", "Hello {first_name}")
    canned("Greeting", "pt", "Olá {first_name}")
    lead = make_message(name="Ana Souza").lead
    Message.objects.filter(lead=lead).update(locale="pt")
    page = sales_client.get(lead.get_absolute_url()).content.decode()
    assert 'data-body="Olá Ana">Greeting (pt)</option>' in page and "Greeting (en)" not in page
    assert 'data-fills="reply_body"' in page and 'id="reply_body"' in page
