from django import template
from django.conf import settings
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from maniva_crm.permissions import crm_can as _crm_can

register = template.Library()


@register.simple_tag
def vapid_public_key() -> str:
    return settings.VAPID_PUBLIC_KEY


@register.filter
def crm_can(user, codename: str) -> bool:
    return _crm_can(user, codename)


@register.simple_tag
def inbox_rows(rows: list) -> SafeString:
    """The inbox table's rows. Built here rather than in the template: for 50 rows the template
    language resolved about a thousand variables, which cost the page more than its query did.
    Every value goes through `escape`."""
    if not rows:
        return mark_safe('<tr><td colspan="9">No leads match.</td></tr>')
    return mark_safe("".join(_inbox_row(row) for row in rows))


def _truncated(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _inbox_row(lead) -> str:
    name = escape(lead.name)
    company = f" · {escape(lead.company)}" if lead.company else ""
    spam = ' <span class="badge status-spam">spam</span>' if lead.is_spam and lead.status != "spam" else ""
    if lead.awaiting_reply:
        spam += ' <span class="badge crm-awaiting">awaiting our reply</span>'
    tags = "".join(f'<span class="badge text-bg-light">{escape(tag)}</span> ' for tag in lead.tags)
    return (
        f'<tr><td><input type="checkbox" class="form-check-input lead-select" name="ids" value="{escape(lead.id)}" aria-label="Select {name}"></td>'
        f'<td><a href="{escape(lead.url)}">{name}</a><div class="small text-body-secondary">{escape(lead.email)}{company}</div></td>'
        f"<td>{escape(_truncated(lead.last_subject, 70))}</td>"
        f'<td><span class="badge status-{escape(lead.status)}">{escape(lead.status_label)}</span>{spam}</td>'
        f"<td>{escape(lead.assignee or '—')}</td><td>{tags}</td><td>{escape(lead.country or '—')}</td>"
        f'<td>{lead.message_count:d}</td><td><time datetime="{lead.activity_iso}">{lead.activity_display}</time></td></tr>'
    )
