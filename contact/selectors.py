"""Reads of intake data shared by the site, the CRM and the commands."""
from django.db.models import Count

from contact.models import OutboxJob, OutboxStatus


def outbox_counts() -> dict[str, int]:
    counts = {status.value: 0 for status in OutboxStatus}
    for row in OutboxJob.objects.values("status").annotate(n=Count("id")):
        counts[row["status"]] = row["n"]
    return counts


def outbox_dead_letters(*, limit: int = 200) -> list[OutboxJob]:
    return list(OutboxJob.objects.filter(status=OutboxStatus.DEAD).order_by("-run_after")[:limit])
