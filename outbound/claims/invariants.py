"""What must hold in the claim registry after a migration or a restore (registered with the
operations' invariant registry from ``OutboundConfig.ready()``)."""

from __future__ import annotations

from edi_platform.core.invariants import Invariant, register_invariant

from .registry import COUNTER

_CLAIMS = "outbound_claim"
_COUNTER = "outbound_claimnumbercounter"

# A counter below a claim control number already given would give that number again.
COUNTER_AT_OR_ABOVE_GIVEN = register_invariant(
    Invariant(
        name="claims.counter_at_or_above_given",
        description="the claim counter is at or above every claim control number given",
        sql=f"""
            SELECT count(*) FROM {_CLAIMS} c
            WHERE c.payer_claim_control_number > coalesce(
                (SELECT n.last_value FROM {_COUNTER} n WHERE n.name = '{COUNTER}'), 0
            )
        """,
        tables=(_CLAIMS, _COUNTER),
    )
)
