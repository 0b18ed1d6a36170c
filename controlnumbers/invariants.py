"""What must hold in the control-number tables after a migration or a restore.

Registered with the operations' invariant registry (``edi_platform.core.invariants``) from
``ControlNumbersConfig.ready()``; each query returns the number of violating rows and runs
unchanged on SQLite and PostgreSQL.
"""

from __future__ import annotations

from edi_platform.core.invariants import Invariant, register_invariant

_COUNTERS = "controlnumbers_controlnumbercounter"
_AUDIT = "controlnumbers_controlnumberaudit"

# A counter below a number it already issued in its epoch would issue that number again.
COUNTER_AT_OR_ABOVE_ISSUED = register_invariant(
    Invariant(
        name="controlnumbers.counter_at_or_above_issued",
        description="every counter's value is at or above its highest issued number (epoch)",
        sql=f"""
            SELECT count(*) FROM {_COUNTERS} c
            WHERE c.current_value < (
                SELECT coalesce(max(a.number), 0) FROM {_AUDIT} a
                WHERE a.counter_id = c.id AND a.epoch = c.epoch
            )
        """,
        tables=(_COUNTERS, _AUDIT),
    )
)

# The audit's counter reference has no FOREIGN KEY constraint (see the model).
AUDIT_ROWS_HAVE_COUNTERS = register_invariant(
    Invariant(
        name="controlnumbers.audit_rows_have_counters",
        description="every audit row belongs to an existing counter",
        sql=f"""
            SELECT count(*) FROM {_AUDIT} a
            WHERE NOT EXISTS (SELECT 1 FROM {_COUNTERS} c WHERE c.id = a.counter_id)
        """,
        tables=(_COUNTERS, _AUDIT),
    )
)
