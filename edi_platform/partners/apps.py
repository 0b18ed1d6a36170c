from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "edi_platform.partners"
    label = "partners"
    verbose_name = "Trading partners"

    def ready(self) -> None:
        from . import phi, roles  # noqa: F401  (PHI classification, the roles' permissions)
