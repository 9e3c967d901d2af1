from django.urls import path

from contact import views

app_name = "contact"
urlpatterns = [
    path("contact/", views.contact, name="contact"),
    path("contact/thanks/", views.thanks, name="thanks"),
    path("consultation/", views.consultation, name="consultation"),
]
