from django.apps import AppConfig
from django.db.models.signals import post_migrate


class OutboundConfig(AppConfig):
    name = "outbound"
    verbose_name = "Outbound"

    def ready(self) -> None:
        # The lower apps ask outbound through registries (they cannot import it): inbound
        # stages owed responses through the outcome sink and routes the sets a responder
        # answers to its handlers; controlnumbers finds stored files through the locator.
        from controlnumbers.locator import register_file_locator
        from eventstore.inbound.hooks import (
            register_handler,
            register_inbox_folder,
            register_outcome_sink,
        )

        from . import (  # noqa: F401
            dashboard,  # its tiles on the home dashboard
            journey,  # a batch's page lists what we sent back for it
            metrics,  # its series in /metrics and its checks in /healthz
            phi,  # the PHI classification of its models
            reports,  # registers the outbound reports
            roles,  # what the three permission groups may do here
            search,  # its sources of the journey search
        )
        from .claims import invariants as _claims_invariants  # noqa: F401
        from .claims import reports as _claims_reports  # noqa: F401
        from .claims import search as _claims_search  # noqa: F401
        from .claims.selectors import register_journey_step
        from .eligibility import reports as _eligibility_reports  # noqa: F401
        from .eligibility import search as _eligibility_search  # noqa: F401
        from .remittance import reports as _remittance_reports  # noqa: F401
        from .remittance.selectors import claim_remittance_steps, claim_status_steps
        from .remittance.services import remittance_inbox_import
        from .responders import specs
        from .services.files import file_locate
        from .services.inbound_sink import stage_inbound_outcome
        from .services.windows import batch_windows_ensure

        # a claim's journey shows its adjudications and their 835s after the 277CA
        register_journey_step("835", claim_remittance_steps)
        # ... and the 277s that answered 276 inquiries about it
        register_journey_step("277", claim_status_steps)
        # adjudication results dropped in INBOUND_INBOX_DIR/remittance/ are imported
        register_inbox_folder("remittance", remittance_inbox_import)
        register_outcome_sink(stage_inbound_outcome)
        register_file_locator(file_locate)
        for spec in specs():
            for st01, handler in spec.answers:
                register_handler(st01, handler)
        post_migrate.connect(lambda **kwargs: batch_windows_ensure(), sender=self, weak=False)
