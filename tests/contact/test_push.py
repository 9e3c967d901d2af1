from datetime import timedelta
from io import StringIO

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from contact.models import OutboxJob, OutboxStatus, PushSubscription
from contact.worker import jobs_run_due
from tests.factories import form_data


def _staff_device(push_service, name: str, username: str = "sam") -> PushSubscription:
    user, _ = get_user_model().objects.get_or_create(username=username, defaults={"is_staff": True})
    return PushSubscription.objects.create(user=user, created_at=timezone.now(), **push_service.subscribe(name))


def test_new_lead_pushes_an_encrypted_signed_payload_to_each_staff_device(client, db, smtp_server, push_service, settings):
    _staff_device(push_service, "laptop")
    _staff_device(push_service, "phone")

    client.post("/contact/", form_data(name="Jo Müller", subject="Shop redesign"))
    jobs_run_due(worker="test")

    assert push_service.rejected == []
    assert sorted(p["name"] for p in push_service.received) == ["laptop", "phone"]
    push = push_service.received[0]
    assert push["payload"]["title"] == "New contact: Jo Müller"
    assert push["payload"]["body"] == "Shop redesign"
    assert push["payload"]["url"].startswith("http://testserver/crm/leads/")
    assert push["public_key"] == settings.VAPID_PUBLIC_KEY
    assert push["claims"]["sub"] == settings.VAPID_SUBJECT


def test_gone_subscription_is_deleted(client, db, smtp_server, push_service):
    _staff_device(push_service, "old-browser")
    push_service.script["old-browser"] = [410]

    client.post("/contact/", form_data())
    jobs_run_due(worker="test")

    assert not PushSubscription.objects.filter(endpoint__endswith="/old-browser").exists()
    assert OutboxJob.objects.get(kind="push").status == OutboxStatus.DONE


def test_push_service_error_is_retried_then_delivered(client, db, smtp_server, push_service, settings):
    settings.OUTBOX_RETRY_BASE_SECONDS = 0
    _staff_device(push_service, "flaky")
    push_service.script["flaky"] = [500]

    client.post("/contact/", form_data())
    jobs_run_due(worker="test")  # with no backoff, the retry is due at once

    assert [p["name"] for p in push_service.received] == ["flaky"]
    job = OutboxJob.objects.get(kind="push")
    assert (job.status, job.attempts) == (OutboxStatus.DONE, 2)


def test_gone_subscription_keeps_answering_410_and_only_the_first_job_sends_to_it(client, db, smtp_server, push_service):
    _staff_device(push_service, "old-browser")
    push_service.script["old-browser"] = [410]

    client.post("/contact/", form_data(email="first@example.com"))
    client.post("/contact/", form_data(email="second@example.com"))
    jobs_run_due(worker="test")

    assert push_service.statuses("old-browser") == [410], "the second job found the subscription gone and sent nothing"
    assert not PushSubscription.objects.exists()
    assert [(j.status, j.attempts, j.last_error) for j in OutboxJob.objects.filter(kind="push")] == [(OutboxStatus.DONE, 1, "")] * 2


def test_retry_after_the_subscription_was_deleted_finishes_quietly(client, db, smtp_server, push_service, settings):
    settings.OUTBOX_RETRY_BASE_SECONDS = 60
    device = _staff_device(push_service, "flaky")
    push_service.script["flaky"] = [500]
    client.post("/contact/", form_data())
    jobs_run_due(worker="test")  # the push fails with 500; its retry waits for the backoff
    job = OutboxJob.objects.get(kind="push")
    assert (job.status, job.attempts) == (OutboxStatus.PENDING, 1)

    device.delete()  # the browser unsubscribed, or another job's 410 removed it
    OutboxJob.objects.filter(pk=job.pk).update(run_after=job.run_after - timedelta(days=1))  # the backoff is over
    jobs_run_due(worker="test")

    job.refresh_from_db()
    assert (job.status, job.attempts, job.last_error) == (OutboxStatus.DONE, 2, "")
    assert push_service.statuses("flaky") == [500] and push_service.received == []


def test_job_that_loaded_the_subscription_before_another_job_deleted_it_finishes_quietly(client, db, smtp_server, push_service, monkeypatch):
    """Two workers each hold a push job for one device; one job's 410 deletes the subscription after the
    other job has loaded it, so the other sends to a gone endpoint, gets 410, and must just finish."""
    from contact import delivery

    _staff_device(push_service, "old-browser")
    push_service.script["old-browser"] = [410]
    client.post("/contact/", form_data(email="first@example.com"))
    client.post("/contact/", form_data(email="second@example.com"))
    for job in OutboxJob.objects.filter(kind="staff_email"):
        delivery.job_run(job)  # a staff notification's job enqueues its pushes
    first, second = OutboxJob.objects.filter(kind="push").order_by("created_at", "pk")
    send = delivery.push_send

    def send_after_the_other_worker(**kwargs) -> None:
        monkeypatch.setattr(delivery, "push_send", send)
        delivery.job_run(second)  # the other worker: 410, subscription deleted
        assert not PushSubscription.objects.exists()
        send(**kwargs)  # this worker still holds the loaded subscription

    monkeypatch.setattr(delivery, "push_send", send_after_the_other_worker)
    delivery.job_run(first)

    assert push_service.statuses("old-browser") == [410, 410] and push_service.received == []
    assert not PushSubscription.objects.exists()


def test_spam_sends_no_push(client, db, push_service):
    _staff_device(push_service, "laptop")
    client.post("/contact/", form_data(website="http://bot.example"))
    assert not OutboxJob.objects.exists()


def test_webpush_keys_prints_a_usable_pair():
    out = StringIO()
    call_command("webpush_keys", stdout=out)
    lines = out.getvalue().split()
    assert lines[0].startswith("VAPID_PUBLIC_KEY=") and len(lines[0]) > 80
    assert lines[1].startswith("VAPID_PRIVATE_KEY=") and len(lines[1]) == len("VAPID_PRIVATE_KEY=") + 43
