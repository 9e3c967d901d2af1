from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from contact.models import Lead, Message
from contact.search import search_terms

pytestmark = pytest.mark.django_db


def test_seed_demo_writes_leads_and_messages_like_the_intake():
    out = StringIO()
    call_command("seed_demo", messages=66, stdout=out)
    assert "Inserted 66 messages from 20 leads." in out.getvalue()
    assert Message.objects.count() == 66 and Lead.objects.count() == 20
    message = Message.objects.select_related("lead").first()
    assert message.search_terms == search_terms(message.name, message.email, message.company, message.subject, message.message)
    lead = message.lead
    assert set(message.search_terms) <= set(lead.search_terms) and lead.message_count == Message.objects.filter(lead=lead).count()
    assert sum(Lead.objects.values_list("message_count", flat=True)) == 66
    call_command("seed_demo", messages=10, stdout=StringIO())  # a second run adds, it does not collide
    assert Message.objects.count() == 76


def test_seed_demo_refuses_nonsense():
    with pytest.raises(CommandError):
        call_command("seed_demo", messages=0, stdout=StringIO())


def test_help(capsys):
    with pytest.raises(SystemExit):
        call_command("seed_demo", "--help")
    assert "--messages" in capsys.readouterr().out
