from django.apps import AppConfig


class OutboundConfig(AppConfig):
    name = "outbound"
    verbose_name = "Outbound"

    def ready(self) -> None:
        # Inbound processing stages owed TA1/999 responses through this sink (eventstore
        # cannot import outbound: the dependency goes the other way).
        from eventstore.inbound_hooks import register_outcome_sink

        from .services.inbound_sink import stage_inbound_outcome

        register_outcome_sink(stage_inbound_outcome)
