"""The CRM's Mail page: caught mail, for Managers only, escaped, no way out of the folder."""
from io import StringIO

import pytest
from django.core.mail import EmailMultiAlternatives
from django.core.management import call_command
from django.urls import reverse

from contact.mailcatch import BACKEND
from contact.selectors import caught_mail_get
from maniva_crm import services
from tests.factories import form_data, make_message

HOSTILE = "<script>alert(1)</script> & Co"


@pytest.fixture
def caught(settings, tmp_path):
    settings.EMAIL_HOST = ""
    settings.EMAIL_BACKEND = BACKEND
    settings.MAIL_CATCH_DIR = tmp_path / "mail"
    return settings.MAIL_CATCH_DIR


def _send_hostile() -> None:
    mail = EmailMultiAlternatives(subject=HOSTILE, body=f"Text part: {HOSTILE}", to=["ana@example.com"])
    mail.attach_alternative('<p id="html-part">HTML part <img src=x onerror="alert(2)"></p>', "text/html")
    mail.send()


def test_a_manager_sees_the_mails_a_submission_would_have_sent(manager_client, caught):
    manager_client.post("/contact/", form_data())
    call_command("run_worker", "--once", stdout=StringIO())

    page = manager_client.get(reverse("crm:mail"))

    assert page.status_code == 200
    text = page.content.decode()
    assert "We received your message – Maniva Digital" in text and "New contact from Ana Souza: New website for our bakery" in text
    assert "team@maniva.test" in text and "ana@example.com" in text
    assert f'href="{reverse("crm:mail")}"' in text, "the nav links to the page"


def test_the_list_and_the_detail_escape_everything_and_never_render_the_html_part(manager_client, caught):
    _send_hostile()
    listing = manager_client.get(reverse("crm:mail")).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in listing and "<script>alert(1)" not in listing

    (name,) = [path.name for path in caught.iterdir()]
    detail = manager_client.get(reverse("crm:mail_detail", args=[name]))
    assert detail.status_code == 200
    text = detail.content.decode()
    assert "Text part: &lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in text
    assert "<script>alert(1)" not in text and "html-part" not in text and "onerror" not in text
    assert "text/plain, text/html" in text and "Content-Type" in text


def test_newest_first(manager_client, caught):
    for subject in ("first mail", "second mail"):
        EmailMultiAlternatives(subject=subject, body="x", to=["a@example.com"]).send()
    text = manager_client.get(reverse("crm:mail")).content.decode()
    assert text.index("second mail") < text.index("first mail")


def test_sales_without_the_permission_get_403_and_no_link(sales_client, caught):
    _send_hostile()
    (name,) = [path.name for path in caught.iterdir()]
    assert sales_client.get(reverse("crm:mail")).status_code == 403
    assert sales_client.get(reverse("crm:mail_detail", args=[name])).status_code == 403
    assert reverse("crm:mail") not in sales_client.get(reverse("crm:inbox")).content.decode()


def test_anonymous_visitors_are_sent_to_the_login(client, db, caught):
    response = client.get(reverse("crm:mail"))
    assert response.status_code == 302 and reverse("crm:login") in response["Location"]


@pytest.mark.parametrize("name", [
    "..%2F..%2Fsecret.eml",
    "..%2Fsecret.eml",
    "%2Fetc%2Fpasswd",
    "secret.eml",
    ".20261126T123456.123456Z-0123456789abcdef0123456789abcdef.eml.tmp",
    "20261126T123456.123456Z-0123456789ABCDEF0123456789ABCDEF.eml",
    "20261126T123456.123456Z-0123456789abcdef0123456789abcdef.eml",  # the right shape, but no such file
])
def test_names_that_are_not_a_caught_mail_are_404(manager_client, caught, name):
    caught.mkdir(parents=True)
    (caught.parent / "secret.eml").write_text("Subject: outside\n\nnot for you\n")
    (caught / "secret.eml").write_text("Subject: inside but badly named\n\nx\n")
    (caught / ".20261126T123456.123456Z-0123456789abcdef0123456789abcdef.eml.tmp").write_text("Subject: half\n\n")
    assert manager_client.get(f"/crm/mail/{name}/").status_code == 404


def test_the_selector_refuses_paths(caught):
    caught.mkdir(parents=True)
    (caught.parent / "x.eml").write_text("Subject: outside\n\n")
    assert caught_mail_get(name="../x.eml") is None
    assert caught_mail_get(name=str(caught.parent / "x.eml")) is None


def test_the_timeline_says_what_became_of_a_reply(sales_client, sales, caught):
    lead = make_message().lead
    services.lead_reply(lead=lead, subject="Your bakery site", body="Hi", actor=sales)
    page = sales_client.get(reverse("crm:lead", args=[lead.pk])).content.decode()
    assert "queued a reply by email: Your bakery site" in page and "not sent yet" in page

    call_command("run_worker", "--once", stdout=StringIO())

    page = sales_client.get(reverse("crm:lead", args=[lead.pk])).content.decode()
    assert "caught, not sent (no EMAIL_HOST)" in page
