"""Writes of the control-number store, one module per concern:

* :mod:`.allocation` — ISA13 / GS06 / ST02 allocation (one SQL statement on PostgreSQL),
  counter creation, the per-partner scope;
* :mod:`.lifecycle` — ISSUED -> PERSISTED / FAILED -> REISSUED of issued numbers;
* :mod:`.reset` — reset and rollover (a new epoch, audited);
* :mod:`.remediation` — closing documented gaps whose file is stored;
* :mod:`.alerts` — alerts of the scheduled gap and rollover checks.

The public names are re-exported here: callers import from ``controlnumbers.services``.
"""

from ..domain import (
    ControlNumberError,
    ControlNumberExhausted,
    EnvelopeNumbers,
    NumbersNotFound,
    ResetRefused,
    UnknownPartner,
)
from .alerts import (
    AlertSyncResult,
    Finding,
    alerts_sync,
    gap_alerts_refresh,
    rollover_alerts_refresh,
)
from .allocation import (
    allocate_block,
    allocate_envelope,
    counters_ensure,
    partner_scope,
    resolve_counter_key,
    scope_cache_clear,
)
from .lifecycle import numbers_mark_failed, numbers_mark_persisted, numbers_reissue
from .remediation import CLOSE_GAP_PERMISSION, GapCloseResult, gaps_close
from .reset import RESET_PERMISSION, counter_reset

__all__ = [
    "CLOSE_GAP_PERMISSION",
    "RESET_PERMISSION",
    "AlertSyncResult",
    "ControlNumberError",
    "ControlNumberExhausted",
    "EnvelopeNumbers",
    "Finding",
    "GapCloseResult",
    "NumbersNotFound",
    "ResetRefused",
    "UnknownPartner",
    "alerts_sync",
    "allocate_block",
    "allocate_envelope",
    "counter_reset",
    "counters_ensure",
    "gap_alerts_refresh",
    "gaps_close",
    "numbers_mark_failed",
    "numbers_mark_persisted",
    "numbers_reissue",
    "partner_scope",
    "resolve_counter_key",
    "rollover_alerts_refresh",
    "scope_cache_clear",
]
