from django.contrib.auth import views as auth_views
from django.urls import path

from maniva_crm import mail_views, views

app_name = "crm"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="crm:login"), name="logout"),
    path("", views.inbox, name="inbox"),
    path("counts/", views.inbox_counts, name="counts"),
    path("bulk/", views.inbox_bulk, name="bulk"),
    path("export.csv", views.inbox_export, name="export"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("audit/", views.audit_log, name="audit"),
    path("staff/", views.staff, name="staff"),
    path("staff/new/", views.staff_create, name="staff_create"),
    path("mail/", mail_views.mail_list, name="mail"),
    path("mail/<str:name>/", mail_views.mail_detail, name="mail_detail"),
    path("push/", views.push_subscription, name="push"),
    path("sw.js", views.service_worker, name="service_worker"),
    path("leads/<str:pk>/", views.lead_detail, name="lead"),
    path("leads/<str:pk>/status/", views.lead_status, name="lead_status"),
    path("leads/<str:pk>/spam/", views.lead_spam, name="lead_spam"),
    path("leads/<str:pk>/note/", views.lead_note, name="lead_note"),
    path("leads/<str:pk>/tags/", views.lead_tags, name="lead_tags"),
    path("leads/<str:pk>/assign/", views.lead_assign, name="lead_assign"),
    path("leads/<str:pk>/reply/", views.lead_reply, name="lead_reply"),
    path("leads/<str:pk>/export.json", views.lead_export, name="lead_export"),
    path("leads/<str:pk>/erase/", views.lead_erase, name="lead_erase"),
]
