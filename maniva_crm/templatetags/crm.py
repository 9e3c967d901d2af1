from functools import lru_cache

from django import template
from django.conf import settings
from django.templatetags.static import static
from django.urls import get_script_prefix, reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from maniva_crm.permissions import crm_can as _crm_can

register = template.Library()


@register.simple_tag
def vapid_public_key() -> str:
    return settings.VAPID_PUBLIC_KEY


@register.simple_tag
def crm_static(path: str) -> str:
    """{% static %}, worked out once per process and script prefix (which a relative STATIC_URL
    follows): the storage's answer does not change while the process runs (a hashed name comes
    from the manifest it read at start)."""
    return _static(path, get_script_prefix())


@lru_cache(maxsize=64)
def _static(path: str, script_prefix: str) -> str:
    return static(path)


@register.simple_tag
def crm_url(name: str) -> str:
    """{% url %} of a view without arguments, reversed once per script prefix."""
    return _url(name, get_script_prefix())


@lru_cache(maxsize=256)
def _url(name: str, script_prefix: str) -> str:
    return reverse(name)


@register.filter
def crm_can(user, codename: str) -> bool:
    return _crm_can(user, codename)


@register.simple_tag
def filter_select(form, name: str, current: str) -> SafeString:
    """A filter's <select> (id_<name>) with `current` selected, from the form field's choices."""
    choices = tuple((str(value), str(label)) for value, label in form.fields[name].choices)
    return _select(name, choices, current)


@lru_cache(maxsize=512)
def _select(name: str, choices: tuple, current: str) -> SafeString:
    """Built once per name, choices (their labels in the active language) and selected value."""
    options = "".join(
        f'<option value="{escape(value)}"{" selected" if value == current else ""}>{escape(label)}</option>' for value, label in choices
    )
    return mark_safe(f'<select class="form-select" name="{escape(name)}" id="id_{escape(name)}">{options}</select>')


@register.simple_tag
def filter_check(form, name: str, current: str) -> SafeString:
    """A filter's checkbox (value 1) and its label."""
    name, label = escape(name), escape(form.fields[name].label)
    return mark_safe(
        f'<input class="form-check-input" type="checkbox" name="{name}" value="1" id="id_{name}"{" checked" if current else ""}>'
        f'<label class="form-check-label" for="id_{name}">{label}</label>'
    )


@register.simple_tag
def inbox_rows(rows: list, intents: list | None = None) -> SafeString:
    """The inbox table's rows. Built here rather than in the template: for 50 rows the template
    language resolved about a thousand variables, which cost the page more than its query did.
    Every value goes through `escape`. `intents` are the (value, label) choices of the intent cell."""
    if not rows:
        return mark_safe('<tr><td colspan="10">No leads match.</td></tr>')
    return mark_safe("".join(_inbox_row(row, intents or []) for row in rows))


def intent_cell(*, lead_id: str, name: str, intent: str, set_at, choices: list) -> SafeString:
    """A lead's intent in the inbox: a select staff correct it with (htmx posts it on change; without
    JavaScript its Set button submits the row's own form, see inbox_intent_forms). A suggestion not
    yet set by staff says so."""
    lead_id = escape(lead_id)
    options = "".join(
        f'<option value="{escape(value)}"{" selected" if value == intent else ""}>{escape(label)}</option>' for value, label in choices
    )
    if not intent:
        options = '<option value="" selected disabled>—</option>' + options
    state = "set by staff" if set_at else ("suggested" if intent else "no suggestion yet")
    url = escape(reverse("crm:lead_intent", args=[lead_id]))
    return mark_safe(
        f'<td id="intent-{lead_id}" class="crm-intent" data-intent="{escape(intent)}">'
        f'<select class="form-select form-select-sm" name="intent" form="intent-form-{lead_id}" aria-label="Intent of {escape(name)}" '
        f'hx-post="{url}" hx-trigger="change" hx-target="#intent-{lead_id}" hx-swap="outerHTML">{options}</select>'
        f'<span class="small text-body-secondary">{state}</span> '
        f'<button class="btn btn-sm btn-link p-0 crm-nojs" type="submit" form="intent-form-{lead_id}">Set</button></td>'
    )


@register.simple_tag(takes_context=True)
def inbox_intent_forms(context, rows: list, query: str) -> SafeString:
    """One small form per row, outside the bulk form (forms cannot nest): the row's intent select and
    Set button belong to it through their `form` attribute."""
    token = escape(str(context.get("csrf_token", "")))
    back = escape(query)
    return mark_safe("".join(
        f'<form id="intent-form-{escape(row.id)}" method="post" action="{escape(reverse("crm:lead_intent", args=[row.id]))}" hidden>'
        f'<input type="hidden" name="csrfmiddlewaretoken" value="{token}"><input type="hidden" name="back" value="{back}"></form>'
        for row in rows
    ))


def _truncated(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _inbox_row(lead, intents: list) -> str:
    name = escape(lead.name)
    company = f" · {escape(lead.company)}" if lead.company else ""
    spam = ' <span class="badge status-spam">spam</span>' if lead.is_spam and lead.status != "spam" else ""
    if lead.awaiting_reply:
        spam += ' <span class="badge crm-awaiting">awaiting our reply</span>'
    if lead.needs_review and not lead.is_spam:
        spam += ' <span class="badge text-bg-warning">needs review</span>'
    tags = "".join(f'<span class="badge text-bg-light">{escape(tag)}</span> ' for tag in lead.tags)
    return (
        f'<tr><td><input type="checkbox" class="form-check-input lead-select" name="ids" value="{escape(lead.id)}" aria-label="Select {name}"></td>'
        f'<td><a href="{escape(lead.url)}">{name}</a><div class="small text-body-secondary">{escape(lead.email)}{company}</div></td>'
        f"<td>{escape(_truncated(lead.last_subject, 70))}</td>"
        f'<td><span class="badge status-{escape(lead.status)}">{escape(lead.status_label)}</span>{spam}</td>'
        f"{intent_cell(lead_id=lead.id, name=lead.name, intent=lead.intent, set_at=lead.intent_set_at, choices=intents)}"
        f"<td>{escape(lead.assignee or '—')}</td><td>{tags}</td><td>{escape(lead.country or '—')}</td>"
        f'<td>{lead.message_count:d}</td><td><time datetime="{lead.activity_iso}">{lead.activity_display}</time></td></tr>'
    )
