from django.apps import AppConfig


class ManivaCrmConfig(AppConfig):
    default_auto_field = "django_mongodb_backend.fields.ObjectIdAutoField"
    name = "maniva_crm"

    def ready(self) -> None:
        from maniva_crm import signals  # noqa: F401  (connects the login throttle's receivers)
