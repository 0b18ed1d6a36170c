"""TA1 interchange acknowledgment: answers an interchange, in an interchange of its own.

Staged by inbound processing (through the outcome sink) for each interchange the partner's
TA1 policy asks for, and for every rejected one; the content is the engine's
:func:`~edi_platform.x12.ta1_content`. It travels without a functional group (ISA, TA1...,
IEA), so it takes an ISA13 only. Window 0: assembled right after the inbound transaction
commits (SLA 5 minutes).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from edi_platform import x12

from . import ResponseSpec, register


def render(
    contents: Sequence[dict[str, Any]], envelope: x12.EnvelopeParams, st02s: list[str]
) -> bytes:
    return x12.render_ta1_interchange(list(contents), envelope=envelope)


SPEC = register(
    ResponseSpec(
        response_type="TA1",
        label="TA1 interchange acknowledgment",
        functional_id=None,
        counter_type="TA1",
        window_minutes=0,
        sla_minutes=5,
        render=render,
        priority=10,
    )
)
