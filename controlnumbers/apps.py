from django.apps import AppConfig


class ControlNumbersConfig(AppConfig):
    name = "controlnumbers"
    verbose_name = "Control numbers"
