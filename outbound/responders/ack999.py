"""999 implementation acknowledgment (005010X231A1): answers a functional group.

Staged by inbound processing (through the outcome sink) for every functional group of an
accepted interchange that is not itself an acknowledgment; the content is the engine's
:func:`~edi_platform.x12.ack_999_content` (AK1 / AK2 / IK3 / CTX / IK4 / IK5 / AK9). One 999
transaction set per answered group, batched per partner in the 999 window (SLA 15 minutes).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from edi_platform import x12

from . import ResponseSpec, register


def render(
    contents: Sequence[dict[str, Any]], envelope: x12.EnvelopeParams, st02s: list[str]
) -> bytes:
    return x12.render_999_interchange(list(contents), envelope=envelope, st02s=st02s)


SPEC = register(
    ResponseSpec(
        response_type="999",
        label="999 implementation acknowledgment",
        functional_id="FA",
        counter_type="999",
        window_minutes=5,
        sla_minutes=15,
        render=render,
        priority=30,
    )
)
