"""The checks every outbound file passes before it is stored (else it is quarantined).

1. the envelope (:func:`edi_platform.x12.validate_envelope`): SE01/SE02, GE01/GE02,
   IEA01/IEA02, ISA widths — every response type;
2. the implementation guide, for response types that declare one
   (``ResponseSpec.guide_version``, e.g. the 271's 005010X279A1): the engine's own
   validator (:func:`edi_platform.x12.validate`) must accept every set without a single
   finding — an outbound file is ours, so anything it flags is our bug, never sent.

Problems are texts for people: positions, codes and their meanings, never element values
(response content may carry PHI).
"""

from __future__ import annotations

from edi_platform import x12
from edi_platform.x12 import codes
from outbound.responders import UnknownResponseType, spec_for

__all__ = ["MAX_PROBLEMS", "file_problems", "guide_problems"]

MAX_PROBLEMS = 20  # a reason names the first findings; the quarantined copy has them all


def file_problems(data: bytes, *, response_type: str) -> list[str]:
    """Why ``data`` must not be sent (empty when it may): envelope, then guide findings."""
    problems = x12.validate_envelope(data)
    if problems:
        return ["envelope validation failed: " + "; ".join(problems)]
    try:
        guide = spec_for(response_type).guide_version
    except UnknownResponseType:
        guide = None
    if guide:
        found = guide_problems(data)
        if found:
            return [f"{guide} guide validation failed: " + "; ".join(found)]
    return []


def guide_problems(data: bytes) -> list[str]:
    """Every finding of the engine's guide validation of ``data`` (codes and positions)."""
    report = x12.validate(data)
    out = [f"{p.code}: {p.message}" for p in report.problems]
    if report.error:
        out.append(report.error)
    for ic in report.interchanges:
        if ic.ta1_code != "A":
            out.append(f"interchange TA1 {ic.ta1_code} {ic.ta1_note}")
        for group in ic.groups:
            if group.ack_code != "A":
                out.append(
                    f"group GS06 {group.header.control_number}: AK9 {group.ack_code} "
                    + ", ".join(group.codes)
                )
            for s in group.sets:
                if s.ack_code == "A" and not s.issues and not s.codes:
                    continue
                if s.guide is None:
                    out.append(f"set ST02 {s.control_number}: no implementation guide found")
                set_codes = ", ".join(
                    f"{c} {codes.IK5_ERROR_CODES.get(c, 'set error')}" for c in s.codes
                )
                out.append(f"set ST02 {s.control_number}: IK5 {s.ack_code} {set_codes}".rstrip())
                for issue in s.issues:
                    elements = ", ".join(
                        f"{issue.segment_id}{e.position:02d} {e.name or ''} IK4 {e.code} "
                        f"{codes.IK4_ERROR_CODES.get(e.code, 'element error')}".replace("  ", " ")
                        for e in issue.elements
                    )
                    text = (
                        f"{issue.segment_id} at position {issue.position}"
                        f" (loop {issue.loop_id or '?'}): IK3 {issue.code or '8'} "
                        f"{codes.IK3_ERROR_CODES.get(issue.code or '8', 'segment error')}"
                    )
                    out.append(text + (f" [{elements}]" if elements else ""))
                    if len(out) >= MAX_PROBLEMS:
                        return out
    return out
