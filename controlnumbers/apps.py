from django.apps import AppConfig


class ControlNumbersConfig(AppConfig):
    name = "controlnumbers"
    verbose_name = "Control numbers"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from edi_platform.partners.models import TradingPartner

        from . import (  # noqa: F401
            dashboard,  # its tile on the home dashboard
            invariants,  # the invariants migrate_database and restore check
            metrics,  # its series in /metrics
            phi,  # the PHI classification of its models
            reports,  # registers the gap report
            roles,  # what the three permission groups may do here
        )
        from .services import scope_cache_clear

        # A partner edited in this process takes effect at once for its allocations.
        post_save.connect(scope_cache_clear, sender=TradingPartner, dispatch_uid="cn-scope-save")
        post_delete.connect(
            scope_cache_clear, sender=TradingPartner, dispatch_uid="cn-scope-delete"
        )
