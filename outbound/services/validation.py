"""The check every outbound file passes before it is stored (else it is quarantined).

Every response type, whatever it is: the engine's :func:`edi_platform.x12.validate_outbound`
— the envelope (SE01/SE02, GE01/GE02, IEA01/IEA02, ISA widths, AK9 counts) and our own
implementation guide at the exact version of each set (999 X231A1, 271 X279A1, ...), at the
WEDI SNIP level the responder asks for (``ResponseSpec.validation_snip_level``, e.g. 3 for
an 835's balancing). An outbound file is ours: anything it flags is our bug, never sent.

Problems are texts for people: positions, codes and their meanings, never element values
(response content may carry PHI).
"""

from __future__ import annotations

from edi_platform import x12
from outbound.responders import UnknownResponseType, spec_for

__all__ = ["file_problems", "guide_problems"]


def file_problems(data: bytes, *, response_type: str) -> list[str]:
    """Why ``data`` must not be sent (empty when it may), as one line per problem."""
    try:
        level = spec_for(response_type).validation_snip_level
    except UnknownResponseType:
        level = 2
    problems = x12.validate_outbound(data, snip_level=level)
    return [f"outbound validation failed: {p}" for p in problems]


def guide_problems(data: bytes) -> list[str]:
    """Every finding of the outbound validation of ``data`` at the guide level (tests and
    tools that check a built interchange)."""
    return x12.validate_outbound(data)
