from django.apps import AppConfig


class ContactConfig(AppConfig):
    default_auto_field = "django_mongodb_backend.fields.ObjectIdAutoField"
    name = "contact"

    def ready(self) -> None:
        from contact import checks  # noqa: F401  (registers the deploy checks)
        from contact import lead_counts  # noqa: F401  (its post_delete receiver)
