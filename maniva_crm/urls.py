from django.contrib.auth import views as auth_views
from django.urls import path

from maniva_crm import views

app_name = "crm"
urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="maniva_crm/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.inbox, name="inbox"),
    path("leads/<str:pk>/", views.lead_detail, name="lead"),
]
