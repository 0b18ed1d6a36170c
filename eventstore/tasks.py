"""Celery autodiscovery imports ``<app>.tasks``: the tasks of both rooms."""

from eventstore.inbound.tasks import poll_inbox, recover_stalled
from eventstore.ledger.tasks import check_projection_lag, project_events

__all__ = ["check_projection_lag", "poll_inbox", "project_events", "recover_stalled"]
