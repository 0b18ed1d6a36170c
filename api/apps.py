from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    label = "api"
    verbose_name = "HTTP API"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import phi, roles, schema  # noqa: F401  (PHI classes, group permissions, schema)
        from .keys.receivers import receivers_connect

        receivers_connect()  # cached keys follow their partner and user
