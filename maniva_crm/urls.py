from django.contrib.auth import views as auth_views
from django.urls import path

from maniva_crm.views import access, canned, dashboard, export, gdpr, inbox, lead, mail, merge, push, routing, staff

app_name = "crm"
urlpatterns = [
    path("login/", access.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="crm:login"), name="logout"),
    path("", inbox.inbox, name="inbox"),
    path("counts/", inbox.inbox_counts, name="counts"),
    path("bulk/", inbox.inbox_bulk, name="bulk"),
    path("export.csv", export.inbox_export, name="export"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("audit/", staff.audit_log, name="audit"),
    path("staff/", staff.staff, name="staff"),
    path("staff/new/", staff.staff_create, name="staff_create"),
    path("canned/", canned.canned_list, name="canned"),
    path("canned/<str:pk>/", canned.canned_edit, name="canned_edit"),
    path("canned/<str:pk>/delete/", canned.canned_delete, name="canned_delete"),
    path("routing/", routing.routing_list, name="routing"),
    path("routing/<str:pk>/", routing.routing_edit, name="routing_edit"),
    path("routing/<str:pk>/move/", routing.routing_move, name="routing_move"),
    path("routing/<str:pk>/delete/", routing.routing_delete, name="routing_delete"),
    path("mail/", mail.mail_list, name="mail"),
    path("mail/<str:name>/", mail.mail_detail, name="mail_detail"),
    path("push/", push.push_subscription, name="push"),
    path("sw.js", push.service_worker, name="service_worker"),
    path("leads/<str:pk>/", lead.lead_detail, name="lead"),
    path("leads/<str:pk>/status/", lead.lead_status, name="lead_status"),
    path("leads/<str:pk>/spam/", lead.lead_spam, name="lead_spam"),
    path("leads/<str:pk>/note/", lead.lead_note, name="lead_note"),
    path("leads/<str:pk>/tags/", lead.lead_tags, name="lead_tags"),
    path("leads/<str:pk>/assign/", lead.lead_assign, name="lead_assign"),
    path("leads/<str:pk>/intent/", lead.lead_intent, name="lead_intent"),
    path("leads/<str:pk>/reply/", lead.lead_reply, name="lead_reply"),
    path("leads/<str:pk>/attachments/<str:file_id>/", lead.lead_attachment, name="lead_attachment"),
    path("leads/<str:pk>/merge/", merge.lead_merge, name="lead_merge"),
    path("leads/<str:pk>/export.json", gdpr.lead_export, name="lead_export"),
    path("leads/<str:pk>/erase/", gdpr.lead_erase, name="lead_erase"),
]
