"""Adapter registered as the inbound outcome sink (eventstore must not import outbound)."""

from __future__ import annotations

from typing import Any

from edi_platform.partners.models import TradingPartner

from .outcomes import outcome_stage


def stage_inbound_outcome(
    *,
    batch: Any,
    partner: TradingPartner,
    response_type: str,
    payload: dict[str, Any] | bytes,
    dedupe_key: str,
    isa13: str = "",
    gs06: str = "",
    st02s: list[str] | None = None,
) -> None:
    """Stage a TA1/999 owed for an inbound batch; runs inside the batch's final transaction.

    ``payload``: the content, or the content already encoded as JSON (``bytes``).
    """
    outcome_stage(
        partner=partner,
        response_type=response_type,
        payload=payload,
        dedupe_key=dedupe_key,
        batch_id=batch.pk,
        isa13=isa13,
        gs06=gs06,
        st02s=st02s,
    )
