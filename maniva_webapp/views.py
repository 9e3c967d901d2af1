from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from pymongo.errors import PyMongoError

from contact.forms import ConsultationForm, ContactForm


def landing(request: HttpRequest) -> HttpResponse:
    return render(request, "maniva_webapp/landing.html", {"form": ContactForm(), "consultation_form": ConsultationForm()})


def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "maniva_webapp/privacy.html")


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        connection.ensure_connection()
        connection.database.command("ping")
    except (DatabaseError, PyMongoError) as exc:
        return JsonResponse({"status": "unavailable", "database": "unreachable", "reason": type(exc).__name__}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})
