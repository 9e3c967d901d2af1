"""What each kind of outbox job does when a worker runs it."""
import logging
from collections.abc import Callable

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from contact.models import Message, OutboxJob, PushSubscription
from contact.push import EndpointRefused, SubscriptionGone, push_send

logger = logging.getLogger(__name__)


def _send_mail(*, to: list[str], subject: str, template: str, context: dict, reply_to: list[str] | None = None) -> None:
    mail = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to,
        reply_to=reply_to,
    )
    mail.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    mail.send()


def _lead_url(message: Message) -> str:
    return f"{settings.SITE_URL}{message.lead.get_absolute_url()}" if message.lead else settings.SITE_URL


def deliver_staff_email(job: OutboxJob) -> None:
    if not settings.CONTACT_NOTIFY_EMAILS:
        return
    message = Message.objects.select_related("lead").get(pk=job.payload["message_id"])
    subject = " ".join(f"New {message.get_kind_display().lower()} from {message.name}: {message.subject}".split())
    _send_mail(
        to=settings.CONTACT_NOTIFY_EMAILS,
        subject=subject[:200],
        template="contact/email/staff_notification",
        context={"message": message, "lead": message.lead, "lead_url": _lead_url(message)},
        reply_to=[message.email],
    )


def deliver_visitor_email(job: OutboxJob) -> None:
    """A thank-you that repeats only the visitor's name, so it cannot carry spam to third parties."""
    message = Message.objects.get(pk=job.payload["message_id"])
    _send_mail(
        to=[message.email],
        subject="We received your message – Maniva Digital",
        template="contact/email/visitor_confirmation",
        context={"name": message.name, "kind": message.kind},
    )


def deliver_push(job: OutboxJob) -> None:
    subscription = PushSubscription.objects.filter(pk=job.payload["subscription_id"]).first()
    if subscription is None:
        return
    try:
        push_send(subscription=subscription, title=job.payload["title"], body=job.payload["body"], url=job.payload["url"])
    except SubscriptionGone:
        subscription.delete()
    except EndpointRefused as exc:
        # Refused for good (not https, or it now resolves inside): retrying cannot help, and a
        # subscription that was checked when stored and now leads inside deserves a look.
        logger.warning("push subscription %s of user %s refused at send time and deleted: %s (%s)", subscription.pk, subscription.user_id, exc, subscription.endpoint)
        subscription.delete()


def deliver_email(job: OutboxJob) -> None:
    """A ready-made email (CRM replies, assignment notices)."""
    payload = job.payload
    _send_mail(
        to=payload["to"],
        subject=payload["subject"],
        template=payload["template"],
        context=payload.get("context", {}),
        reply_to=payload.get("reply_to"),
    )


DELIVERIES: dict[str, Callable[[OutboxJob], None]] = {
    "staff_email": deliver_staff_email,
    "visitor_email": deliver_visitor_email,
    "push": deliver_push,
    "email": deliver_email,
}
