from django.apps import AppConfig


class ManivaWebappConfig(AppConfig):
    default_auto_field = "django_mongodb_backend.fields.ObjectIdAutoField"
    name = "maniva_webapp"

    def ready(self) -> None:
        from maniva_webapp import checks  # noqa: F401  (registers the content checks)
