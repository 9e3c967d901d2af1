from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path
from django.views.decorators.cache import cache_control

from maniva_webapp import views
from maniva_webapp.sitemaps import SITEMAPS

handler400 = "maniva_webapp.views.bad_request"
handler403 = "maniva_webapp.views.permission_denied"
handler404 = "maniva_webapp.views.page_not_found"
handler500 = "maniva_webapp.views.server_error"

urlpatterns = [
    path("", views.landing, name="landing"),
    path("privacy/", views.privacy, name="privacy"),
    path("healthz", views.healthz, name="healthz"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("sitemap.xml", cache_control(public=True, max_age=86_400)(sitemap), {"sitemaps": SITEMAPS}, name="sitemap"),
    path("manifest.webmanifest", views.web_manifest, name="web_manifest"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("", include("contact.urls")),
    path("crm/", include("maniva_crm.urls")),
    path("admin/", admin.site.urls),
]
