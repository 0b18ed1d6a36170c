from django.apps import AppConfig


class EventStoreConfig(AppConfig):
    name = "eventstore"
    verbose_name = "Event store"

    def ready(self) -> None:
        # The ledger's extension points: its 834 handler (inbound routes accepted 834 sets
        # to it) and its reports (listed on the admin's report page); the operations
        # console's registries (dashboard tiles, search sources, metrics) of both rooms.
        from eventstore import (
            phi,  # noqa: F401  (the PHI classification of its models)
            roles,  # noqa: F401  (what the permission groups may do)
        )
        from eventstore.inbound import dashboard as _inbound_tiles  # noqa: F401
        from eventstore.inbound import metrics as _inbound_metrics  # noqa: F401
        from eventstore.inbound import search as _inbound_search  # noqa: F401
        from eventstore.inbound.hooks import register_handler
        from eventstore.ledger import dashboard as _ledger_console  # noqa: F401
        from eventstore.ledger import invariants, reports  # noqa: F401  (register them)
        from eventstore.ledger.services.enrollment_834 import handle_834

        register_handler("834", handle_834)
