"""System checks for the site's content file: it must parse (every `manage.py` command, and so the
server's start-up, reports a broken file with the path of each bad field), and a deployment must
not publish invented sample copy (`check --deploy`)."""
from django.conf import settings
from django.core.checks import CheckMessage, Error, register

from maniva_webapp.content import ContentError, site_content


@register("content")
def content_check(app_configs=None, **kwargs) -> list[CheckMessage]:
    try:
        site_content()
    except ContentError as exc:
        return [Error(problem, id="maniva_webapp.E002") for problem in exc.problems]
    return []


@register("content", deploy=True)
def content_placeholder_check(app_configs=None, **kwargs) -> list[CheckMessage]:
    try:
        placeholders = site_content().placeholders()
    except ContentError:
        return []  # content_check reports it
    if not placeholders:
        return []
    listed = "".join(f"\n  - {where}" for where in placeholders)
    return [Error(
        f"{settings.SITE_CONTENT_PATH} still holds {len(placeholders)} placeholder item(s), invented sample copy:{listed}",
        hint="Replace each with real copy and delete its `placeholder = true`, or remove the item "
        "(a section left with no items disappears from the page). See the README, 'Site content'.",
        id="maniva_webapp.E001",
    )]
