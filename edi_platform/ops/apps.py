from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "edi_platform.ops"
    label = "ops"
    verbose_name = "Operations"
