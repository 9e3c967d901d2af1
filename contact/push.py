"""Web push (RFC 8030/8291) with VAPID, through pywebpush."""
import json
from urllib.parse import urlsplit

from django.conf import settings

from contact.models import PushSubscription
from contact.push_endpoint import EndpointRefused, pinned_session

__all__ = ["EndpointRefused", "SubscriptionGone", "push_send"]


class SubscriptionGone(Exception):
    """The push service says this subscription no longer exists (404 or 410)."""


def push_send(*, subscription: PushSubscription, title: str, body: str, url: str) -> None:
    """Raises EndpointRefused when the endpoint now leads somewhere private: the session checks
    the address at connection time and connects to the one it checked (contact.push_endpoint)."""
    from pywebpush import WebPushException, webpush  # a third of a second to import: only workers send

    endpoint = urlsplit(subscription.endpoint)
    try:
        with pinned_session() as session:
            webpush(
                subscription_info={"endpoint": subscription.endpoint, "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth}},
                data=json.dumps({"title": title, "body": body, "url": url}),
                vapid_private_key=settings.VAPID_PRIVATE_KEY,
                vapid_claims={"sub": settings.VAPID_SUBJECT, "aud": f"{endpoint.scheme}://{endpoint.netloc}"},
                ttl=86_400,
                timeout=10,
                requests_session=session,
            )
    except WebPushException as exc:
        if exc.response is not None and exc.response.status_code in (404, 410):
            raise SubscriptionGone(str(exc)) from exc
        raise
