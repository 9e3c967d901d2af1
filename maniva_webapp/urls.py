from django.contrib import admin
from django.urls import include, path

from maniva_webapp import views

urlpatterns = [
    path("", views.landing, name="landing"),
    path("privacy/", views.privacy, name="privacy"),
    path("healthz", views.healthz, name="healthz"),
    path("", include("contact.urls")),
    path("crm/", include("maniva_crm.urls")),
    path("admin/", admin.site.urls),
]
