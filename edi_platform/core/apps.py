from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "edi_platform.core"
    label = "core"
    verbose_name = "Platform"

    def ready(self) -> None:
        # Bind @shared_task to our Celery app in every Django process (web, commands, tests).
        from edi_platform.celery import app  # noqa: F401

        from . import (
            checks,  # noqa: F401  (registers the system checks)
            platform_console,  # noqa: F401  (its tiles, gauges and role grants)
        )
        from .logs import connect_task_context
        from .phi import classify

        classify("core.SchedulerHeartbeat")  # a timestamp and a host name: no PHI
        connect_task_context()  # every task's log lines carry its name and id
