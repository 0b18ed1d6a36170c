from django.apps import AppConfig


class EventStoreConfig(AppConfig):
    name = "eventstore"
    verbose_name = "Event store"

    def ready(self) -> None:
        # Celery autodiscovery only imports tasks.py: register the event-store tasks too.
        from eventstore import admin_events, tasks_events  # noqa: F401

        try:
            from eventstore.inbound_hooks import register_handler
        except ImportError:  # pragma: no cover - inbound hooks not installed
            return
        from eventstore.services.enrollment_834 import handle_834

        register_handler("834", handle_834)
