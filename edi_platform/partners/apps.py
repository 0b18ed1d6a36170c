from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "edi_platform.partners"
    label = "partners"
    verbose_name = "Trading partners"
