"""Intent suggestions in the worker, staff corrections and what the model learns from them, and
the Managers' routing rules, against the real database server."""
import uuid

import pytest
from django.utils import timezone

from analytics.intent import intent_model_latest
from analytics.intent_scoring import saved_intent_model
from contact.meta import RequestMeta
from contact.models import Lead, LeadStatus, Message, OutboxJob
from contact.services import message_store
from contact.spam import SpamVerdict
from contact.worker import jobs_run_due
from maniva_crm import services
from maniva_crm.models import AuditAction, AuditEntry, RoutingRule, RoutingStrategy
from maniva_crm.routing import lead_route
from maniva_crm.selectors import InboxFilters, inbox_page
from tests.factories import make_message, make_user
from tests.helpers import ThreadCommands, intent_model_at_hand, site_client_listening

pytestmark = pytest.mark.django_db
JOBS = "project:web-design-development"


def submit(*, email: str, subject: str, message: str, kind: str = "contact", country: str = "PT", locale: str = "",
           intent: tuple[str, float] | None = None) -> Message:
    result = message_store(
        kind=kind,
        submission={"name": email.split("@")[0].title(), "email": email, "subject": subject, "message": message},
        meta=RequestMeta(ip="203.0.113.9", user_agent="pytest", country=country, locale=locale),
        verdict=SpamVerdict(is_spam=False, score=0.1),
        idempotency_key=uuid.uuid4().hex,
        received_at=timezone.now(),
        intent=intent,
    )
    return result.message


def rule(name: str, strategy: str, *, user=None, position: int | None = None, **conditions) -> RoutingRule:
    position = position or RoutingRule.objects.count() + 1
    return RoutingRule.objects.create(name=name, strategy=strategy, user=user, position=position, created_at=timezone.now(), **conditions)


def test_the_worker_suggests_an_intent_before_the_staff_mail_and_the_mail_names_it(roles, smtp_server, settings):
    settings.CONTACT_NOTIFY_EMAILS = ["team@maniva.test"]
    message = submit(email="rita@olive.test", subject="Online shop", message="We want to sell our olive oil online with a proper shop and delivery.")
    assert Message.objects.get(pk=message.pk).intent == ""  # no model at hand at intake

    jobs_run_due(worker="w")

    message = Message.objects.get(pk=message.pk)
    lead = Lead.objects.get(pk=message.lead_id)
    assert (message.intent, lead.intent, lead.intent_set_at) == (JOBS, JOBS, None)
    assert 0 < message.intent_score <= 1
    staff_mail = next(m for m in smtp_server.wait_for(2) if m["X-Envelope-To"] == "team@maniva.test")
    text = staff_mail.get_payload()[0].get_payload(decode=True).decode()
    assert f"Intent:  {JOBS} (suggested)" in text and "Assigned to: nobody yet" in text
    assert intent_model_latest()["examples"]["corrections"] == 0


def test_a_staff_correction_sticks_is_audited_labels_the_messages_and_the_worker_learns_from_it(sales):
    podcast = ["We need a podcast edited every week", "Can you record and edit our company podcast episodes?",
               "Looking for someone to edit the audio of our weekly podcast"]
    leads = [submit(email=f"p{i}@pod.test", subject="Podcast", message=text).lead for i, text in enumerate(podcast)]
    jobs_run_due(worker="w")
    probe = "Do you edit podcasts? We record two episodes a month."
    assert saved_intent_model.suggest(f"Podcast help\n{probe}")[0] != "other"  # not the agency's work, but the seed does not know

    for lead in leads:
        lead = Lead.objects.get(pk=lead.pk)
        before = lead.intent
        lead = services.lead_intent_set(lead=lead, intent="other", actor=sales)
        assert lead.intent == "other" and lead.intent_set_at is not None
        entry = AuditEntry.objects.get(lead=lead, action=AuditAction.INTENT)
        assert entry.actor_name == "sam" and entry.changes == {"intent": {"from": before, "to": "other"}}
    assert set(Message.objects.filter(lead__in=leads).values_list("intent_label", flat=True)) == {"other"}

    later = submit(email="q@pod.test", subject="Podcast help", message=probe)
    saved_intent_model.forget()  # as a minute passing in the worker
    jobs_run_due(worker="w")

    assert Message.objects.get(pk=later.pk).intent == "other"
    assert intent_model_latest()["examples"]["corrections"] == 3
    # the model never overrides staff: a new message of a corrected lead leaves its intent alone
    submit(email="p0@pod.test", subject="New shop", message="We also want a new online shop with a product catalogue.")
    jobs_run_due(worker="w")
    assert Lead.objects.get(pk=leads[0].pk).intent == "other"


def submit_at_intake(*, email: str, subject: str, message: str) -> Message:
    """As the form's POST: with the suggestion of the model at hand, if any."""
    from contact.triage import intent_at_hand

    return submit(email=email, subject=subject, message=message, intent=intent_at_hand(subject=subject, message=message))


def test_a_suggestion_made_at_intake_is_not_written_again_by_the_worker(roles, smtp_server, settings):
    settings.CONTACT_NOTIFY_EMAILS = ["team@maniva.test"]
    intent_model_at_hand()
    message = submit_at_intake(email="rita@olive.test", subject="Online shop", message="We want to sell our olive oil online with a proper shop and delivery.")
    stored = Message.objects.get(pk=message.pk)
    assert stored.intent == Lead.objects.get(pk=message.lead_id).intent == JOBS

    listener = ThreadCommands()
    with site_client_listening(listener):
        listener.arm()
        jobs_run_due(worker="w")
        sent = listener.disarm()
    assert not [name for name, command in sent if name == "update" and command["update"] in ("contact_message", "contact_lead")], sent
    assert Message.objects.get(pk=message.pk).intent_score == stored.intent_score
    staff_mail = next(m for m in smtp_server.wait_for(2) if m["X-Envelope-To"] == "team@maniva.test")
    assert f"Intent:  {JOBS} (suggested)" in staff_mail.get_payload()[0].get_payload(decode=True).decode()


def test_a_suggestion_made_at_intake_leaves_the_staff_intent_alone(sales):
    lead = submit(email="p0@pod.test", subject="Podcast", message="We need a podcast edited every week").lead
    services.lead_intent_set(lead=Lead.objects.get(pk=lead.pk), intent="other", actor=sales)
    intent_model_at_hand()
    later = submit_at_intake(email="p0@pod.test", subject="New shop", message="We also want a new online shop with a product catalogue.")
    lead = Lead.objects.get(pk=lead.pk)
    assert (Message.objects.get(pk=later.pk).intent, lead.intent, lead.message_count) == (JOBS, "other", 2)


def test_the_request_paths_model_is_dropped_once_every_stored_model_is_deleted(db, monkeypatch):
    """An erasure deletes the models (one may have learned from the person): the web process lets go of its copy at its next check."""
    from analytics import intent_scoring
    from analytics.intent import intent_models_forget

    intent_model_at_hand()
    assert saved_intent_model.suggest_at_hand("Online shop\nWe want to sell online.") is not None
    intent_models_forget()
    monkeypatch.setattr(intent_scoring, "REFRESH_SECONDS", 0.0)  # as a minute passing
    saved_intent_model.suggest_at_hand("Hello")
    assert saved_intent_model.settle(timeout=60)
    assert saved_intent_model.suggest_at_hand("Online shop\nWe want to sell online.") is None


def test_the_request_path_suggests_nothing_from_a_model_trained_for_other_services(db, monkeypatch):
    """After a deploy renamed a service, a stored model would suggest the old intent: the web process
    waits for the worker's retrain instead."""
    from analytics import intent, intent_scoring

    intent_model_at_hand()
    renamed = {**intent.intent_labels(), "project:a-new-service": "New project: A new service"}
    monkeypatch.setattr(intent, "intent_labels", lambda: renamed)
    monkeypatch.setattr(intent_scoring, "REFRESH_SECONDS", 0.0)  # as a minute passing
    saved_intent_model.suggest_at_hand("Hello")
    assert saved_intent_model.settle(timeout=60)
    assert saved_intent_model.suggest_at_hand("Online shop\nWe want to sell online.") is None


def test_an_unknown_intent_is_refused(sales):
    lead = make_message().lead
    with pytest.raises(ValueError):
        services.lead_intent_set(lead=lead, intent="project:nothing", actor=sales)
    assert not AuditEntry.objects.filter(lead=lead).exists()


def test_a_rule_by_intent_assigns_audits_and_notifies_and_the_staff_mail_names_the_assignee(roles, manager, smtp_server, settings):
    settings.CONTACT_NOTIFY_EMAILS = ["team@maniva.test"]
    hr = make_user("hanna", role=services.SALES, email="hanna@maniva.test")
    rule("Applications to Hanna", RoutingStrategy.USER, user=hr, intent="job_application")
    rule("Everything else", RoutingStrategy.USER, user=manager)
    message = submit(email="dev@cv.test", subject="Application", message="I am a front-end developer and would like to join your team. CV attached.")

    jobs_run_due(worker="w")

    lead = Lead.objects.get(pk=message.lead_id)
    assert lead.assignee == hr
    entry = AuditEntry.objects.get(lead=lead, action=AuditAction.ROUTE)
    assert entry.actor is None and entry.data["rule"] == "Applications to Hanna"
    assert entry.changes == {"assignee": {"from": "", "to": "hanna"}}
    notice = OutboxJob.objects.get(key=f"assign_email:{entry.pk}")
    assert notice.payload["to"] == ["hanna@maniva.test"] and "Applications to Hanna" in notice.payload["context"]["actor"]
    mails = smtp_server.wait_for(3)
    staff_mail = next(m for m in mails if m["X-Envelope-To"] == "team@maniva.test")
    assert "Assigned to: hanna" in staff_mail.get_payload()[0].get_payload(decode=True).decode()
    assert any(m["X-Envelope-To"] == "hanna@maniva.test" for m in mails)  # the notice went out in the same pass


def test_conditions_on_form_country_and_language_and_the_first_match_wins(roles, manager):
    ana, ben = make_user("ana", role=services.SALES), make_user("ben", role=services.SALES)
    rule("Brazil", RoutingStrategy.USER, user=ben, country="BR")
    rule("Portuguese consultations", RoutingStrategy.USER, user=ana, kind="consultation", language="pt")
    rule("Portuguese", RoutingStrategy.USER, user=ben, language="pt")
    rule("Anything", RoutingStrategy.USER, user=manager)

    def routed(**kwargs):
        message = submit(subject="Olá", message="Queremos um site novo para a nossa loja.", **kwargs)
        lead_route(lead=Lead.objects.get(pk=message.lead_id), message=message)
        return Lead.objects.get(pk=message.lead_id).assignee.get_username()

    assert routed(email="a@x.test", kind="consultation", locale="pt-PT") == "ana"
    assert routed(email="b@x.test", kind="contact", locale="pt-PT") == "ben"  # not a consultation: the next rule
    assert routed(email="c@x.test", kind="consultation", locale="pt-BR", country="BR") == "ben"  # first match wins
    assert routed(email="d@x.test", kind="contact", locale="en-GB") == "mia"


def test_round_robin_deals_to_sales_by_username_in_turn(roles, manager):
    for name in ("zoe", "amy", "bob"):
        make_user(name, role=services.SALES)
    gone = make_user("aaron", role=services.SALES)
    gone.is_active = False
    gone.save()
    rr = rule("Round robin", RoutingStrategy.ROUND_ROBIN)
    assignees = []
    for i in range(5):
        message = submit(email=f"rr{i}@x.test", subject="Hi", message="A new website please.")
        lead_route(lead=Lead.objects.get(pk=message.lead_id), message=message)
        assignees.append(Lead.objects.get(pk=message.lead_id).assignee.get_username())
    assert assignees == ["amy", "bob", "zoe", "amy", "bob"]  # managers and inactive accounts are not dealt to
    assert RoutingRule.objects.get(pk=rr.pk).turns == 5


def test_least_busy_counts_open_leads_and_breaks_ties_by_username(roles):
    ana, ben, cai = (make_user(name, role=services.SALES) for name in ("ana", "ben", "cai"))
    for i, (user, status) in enumerate([(ana, "new"), (ana, "proposal"), (ben, "won"), (ben, "lost"), (cai, "contacted")]):
        Lead.objects.filter(pk=make_message(email=f"busy{i}@x.test").lead_id).update(assignee=user, status=status)
    rule("Least busy", RoutingStrategy.LEAST_BUSY)
    assignees = []
    for i in range(4):
        message = submit(email=f"lb{i}@x.test", subject="Hi", message="A new website please.")
        lead_route(lead=Lead.objects.get(pk=message.lead_id), message=message)
        assignees.append(Lead.objects.get(pk=message.lead_id).assignee.get_username())
    # open leads before: ana 2, ben 0 (won and lost are closed), cai 1. Then ben 1 = cai 1: ben by
    # name; ana 2, ben 2, cai 1: cai; all at 2: ana.
    assert assignees == ["ben", "ben", "cai", "ana"]


def test_a_rule_that_finds_nobody_is_passed_over_and_an_assigned_lead_is_left_alone(roles, manager):
    rule("Round robin", RoutingStrategy.ROUND_ROBIN)  # nobody in Sales
    rule("Fallback", RoutingStrategy.USER, user=manager)
    message = submit(email="n@x.test", subject="Hi", message="A new website please.")
    lead = Lead.objects.get(pk=message.lead_id)
    assert lead_route(lead=lead, message=message) == manager

    other = make_user("olga", role=services.SALES)
    taken = submit(email="t@x.test", subject="Hi", message="A new website please.")
    Lead.objects.filter(pk=taken.lead_id).update(assignee=other)
    stale = Lead.objects.get(pk=taken.lead_id)
    stale.assignee_id = None  # a copy read before someone assigned it
    assert lead_route(lead=stale, message=taken) is None
    assert Lead.objects.get(pk=taken.lead_id).assignee == other
    assert not AuditEntry.objects.filter(lead_id=taken.lead_id, action=AuditAction.ROUTE).exists()


def test_the_inbox_filters_by_intent(roles):
    shop = make_message(email="shop@x.test").lead
    job = make_message(email="job@x.test").lead
    Lead.objects.filter(pk=shop.pk).update(intent=JOBS)
    Lead.objects.filter(pk=job.pk).update(intent="job_application")
    rows = inbox_page(filters=InboxFilters(intent="job_application")).rows
    assert [r.id for r in rows] == [str(job.pk)]


def test_staff_correct_an_intent_from_the_inbox_with_htmx_or_a_plain_post(sales_client):
    lead = make_message(email="c@x.test").lead
    url = f"/crm/leads/{lead.pk}/intent/"
    response = sales_client.post(url, {"intent": "partnership"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET=f"intent-{lead.pk}")
    assert response.status_code == 200 and response.content.decode().startswith(f'<td id="intent-{lead.pk}"')
    assert "set by staff" in response.content.decode()
    response = sales_client.post(url, {"intent": "other", "back": "intent=other&q=x"})
    assert response.status_code == 302 and response["Location"] == "/crm/?intent=other&q=x"
    assert Lead.objects.get(pk=lead.pk).intent == "other"
    assert sales_client.post(url, {"intent": "<script>"}).status_code == 400
    assert sales_client.post(f"/crm/leads/{'0' * 24}/intent/", {"intent": "other"}).status_code == 404
    page = sales_client.get("/crm/?intent=other").content.decode()
    assert f'id="intent-form-{lead.pk}"' in page and "set by staff" in page


def test_only_managers_keep_routing_rules_and_every_change_is_audited(sales_client, client, manager, sales):
    assert sales_client.get("/crm/routing/").status_code == 403
    client.force_login(manager)
    assert client.post("/crm/routing/", {"name": "", "strategy": "user"}).status_code == 400
    assert client.post("/crm/routing/", {"name": "X", "strategy": "user", "country": "Portugal"}).status_code == 400  # no person, bad country
    response = client.post("/crm/routing/", {"name": "Jobs", "intent": "job_application", "strategy": "user", "user": sales.pk, "active": "on"})
    assert response.status_code == 302
    client.post("/crm/routing/", {"name": "Rest", "strategy": "round_robin", "country": "pt", "active": "on"})
    jobs, rest = RoutingRule.objects.order_by("position")
    assert (rest.country, rest.user, rest.position) == ("PT", None, 2)
    client.post(f"/crm/routing/{rest.pk}/move/", {"direction": "up"})
    assert list(RoutingRule.objects.order_by("position").values_list("name", flat=True)) == ["Rest", "Jobs"]
    client.post(f"/crm/routing/{jobs.pk}/", {"name": "Jobs", "intent": "job_application", "strategy": "least_busy"})
    assert RoutingRule.objects.get(pk=jobs.pk).strategy == "least_busy" and not RoutingRule.objects.get(pk=jobs.pk).active
    client.post(f"/crm/routing/{rest.pk}/delete/")
    assert list(RoutingRule.objects.values_list("name", flat=True)) == ["Jobs"]
    assert client.get(f"/crm/routing/{'0' * 24}/").status_code == 404
    assert client.get("/crm/routing/nonsense/").status_code == 404
    entries = AuditEntry.objects.filter(action=AuditAction.ROUTING_RULE).order_by("created_at", "pk")
    assert [e.actor_name for e in entries] == ["mia"] * 5
    assert entries[3].changes["strategy"] == {"from": "user", "to": "least_busy"}
    assert "Jobs" in client.get("/crm/routing/").content.decode()


def test_erasing_a_person_whose_intent_staff_set_deletes_the_intent_models_learned_from_it(manager):
    lead = make_message(email="erase@x.test").lead
    services.lead_intent_set(lead=lead, intent="other", actor=manager)
    saved_intent_model.current()  # trains on the correction and stores the model
    assert intent_model_latest()["examples"]["corrections"] == 1
    counts = services.person_erase(lead=Lead.objects.get(pk=lead.pk), actor=manager)
    assert intent_model_latest() is None and counts["analytics"] >= 1
