"""What must hold in the event log after a migration or a restore.

Registered with the operations' invariant registry (``edi_platform.core.invariants``) from
``EventStoreConfig.ready()``; each query returns the number of violations and runs
unchanged on SQLite and PostgreSQL.
"""

from __future__ import annotations

from edi_platform.core.invariants import Invariant, register_invariant

_EVENTS = "eventstore_domainevent"
_COUNTER = "eventstore_positioncounter"
_CHECKPOINTS = "eventstore_projectioncheckpoint"
_HEAD = f"(SELECT coalesce(max(position), 0) FROM {_EVENTS})"

# Positions are unique and positive, so count = max means 1..max without a hole.
POSITIONS_GAP_FREE = register_invariant(
    Invariant(
        name="eventstore.positions_gap_free",
        description="event positions run from 1 to the head without a gap (missing positions)",
        sql=f"SELECT {_HEAD} - (SELECT count(*) FROM {_EVENTS})",
        tables=(_EVENTS,),
    )
)

# The next append takes last_position + 1: below the head it would collide, above it a gap.
COUNTER_AT_HEAD = register_invariant(
    Invariant(
        name="eventstore.position_counter_at_head",
        description="the position counter equals the last event's position",
        sql=f"SELECT count(*) FROM {_COUNTER} WHERE last_position <> {_HEAD}",
        tables=(_EVENTS, _COUNTER),
    )
)

CHECKPOINTS_AT_OR_BELOW_HEAD = register_invariant(
    Invariant(
        name="eventstore.checkpoints_at_or_below_head",
        description="every projection checkpoint is at or below the head",
        sql=f"SELECT count(*) FROM {_CHECKPOINTS} WHERE position > {_HEAD}",
        tables=(_EVENTS, _CHECKPOINTS),
    )
)
