from django.apps import AppConfig


class ManivaCrmConfig(AppConfig):
    default_auto_field = "django_mongodb_backend.fields.ObjectIdAutoField"
    name = "maniva_crm"
