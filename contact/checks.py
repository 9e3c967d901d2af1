"""Deploy checks (`manage.py check --deploy`) for mail that would silently go nowhere."""
from django.conf import settings
from django.core.checks import CheckMessage, Warning, register


@register("mail", deploy=True)
def mail_check(app_configs=None, **kwargs) -> list[CheckMessage]:
    problems = []
    if not settings.EMAIL_HOST:
        problems.append(Warning(
            f"EMAIL_HOST is not set: outgoing mail is caught in {settings.MAIL_CATCH_DIR} and not sent.",
            hint="Set EMAIL_HOST (with EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS) to send mail.",
            id="contact.W001",
        ))
    if not settings.CONTACT_NOTIFY_EMAILS:
        problems.append(Warning(
            "CONTACT_NOTIFY_EMAILS is empty: nobody is emailed about new leads.",
            hint="Set CONTACT_NOTIFY_EMAILS to comma-separated staff addresses.",
            id="contact.W002",
        ))
    return problems
