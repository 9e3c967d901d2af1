"""Caught mail for Managers: what visitors and staff would have received while EMAIL_HOST is unset."""
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from contact.selectors import caught_mail_get, caught_mails_list
from maniva_crm.views.access import staff_required

MANAGE = "maniva_crm.manage_staff"


@require_GET
@staff_required(MANAGE)
def mail_list(request: HttpRequest) -> HttpResponse:
    mails, total = caught_mails_list()
    context = {"mails": mails, "total": total, "email_host": settings.EMAIL_HOST, "directory": settings.MAIL_CATCH_DIR}
    return render(request, "maniva_crm/mail_list.html", context)


@require_GET
@staff_required(MANAGE)
def mail_detail(request: HttpRequest, name: str) -> HttpResponse:
    mail = caught_mail_get(name=name)
    if mail is None:
        raise Http404("No such caught mail")
    return render(request, "maniva_crm/mail_detail.html", {"mail": mail})
