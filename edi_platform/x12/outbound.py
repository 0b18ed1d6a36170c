"""The check every interchange we build passes before it leaves: envelope + our own guides.

:func:`validate_outbound` reads the bytes back with the same engine that judges inbound
files: envelope rules (:func:`~edi_platform.x12.builder.validate_envelope` and the TA1/AK9/
IK5 level checks of :func:`~edi_platform.x12.engine.validate`) and the implementation guide of
every set (999 X231A1, 271 X279A1, 277 X212, 277CA X214, 835 X221A1, ...) with the exact
version only: a set whose version has no guide is a problem, not a nearest-guide guess.
A TA1 interchange (ISA, TA1..., IEA) is checked for its envelope and its TA1 segments.
"""

from __future__ import annotations

from edi_platform.x12.builder import validate_envelope
from edi_platform.x12.codes import AK9_ERROR_CODES, IK5_ERROR_CODES
from edi_platform.x12.engine import guides_available, validate
from edi_platform.x12.report import InterchangeReport, SetReport

__all__ = ["validate_outbound"]

MAX_PROBLEMS = 50  # enough to fix the builder; a quarantine reason stays readable


def validate_outbound(data: bytes, *, snip_level: int = 2, code_sets: bool = False) -> list[str]:
    """Problems (for people: positions and codes, never data values) that stop ``data``
    from being sent; ``[]`` when it passes.

    ``snip_level``/``code_sets`` choose the WEDI SNIP types checked beyond the envelope and
    the guide (types 1-2): e.g. ``snip_level=3`` also checks an 835's balancing.
    """
    problems = list(validate_envelope(data))
    report = validate(data, version_fallback="reject", snip_level=snip_level, code_sets=code_sets)
    if report.error:
        problems.append(report.error)
    for p in report.problems:
        problems.append(f"line {p.line}: {p.message}")
    for ic in report.interchanges:
        problems.extend(_interchange_problems(ic))
        if len(problems) > MAX_PROBLEMS:
            break
    seen: set[str] = set()
    unique = [p for p in problems if not (p in seen or seen.add(p))]  # type: ignore[func-returns-value]
    if len(unique) > MAX_PROBLEMS:
        unique = [*unique[:MAX_PROBLEMS], f"... and {len(unique) - MAX_PROBLEMS} more"]
    return unique


def _interchange_problems(ic: InterchangeReport) -> list[str]:
    out = [f"line {i.line}: {i.message} (TA105 {i.code})" for i in ic.issues]
    for group in ic.groups:
        g = group.header
        for code in group.codes:
            meaning = AK9_ERROR_CODES.get(code, "group error")
            out.append(f"line {g.line}: group GS06 {g.control_number}: {meaning} (AK905 {code})")
        for s in group.sets:
            out.extend(_set_problems(s))
    return out


def _set_problems(s: SetReport) -> list[str]:
    where = f"line {s.line}: set {s.id} ST02 {s.control_number}"
    out: list[str] = []
    if s.guide is None and guides_available():
        out.append(f"{where}: no implementation guide for version {s.implementation_reference!r}")
    for code in s.codes:
        if code in ("5", "I5"):
            continue  # the segment findings below say what is wrong
        out.append(f"{where}: {IK5_ERROR_CODES.get(code, 'set error')} (IK502 {code})")
    for issue in s.issues:
        # the segment's position in its set and its loop: a file we built is one line
        place = f"{where}, {issue.segment_id} at position {issue.position}"
        if issue.loop_id:
            place += f" (loop {issue.loop_id})"
        out.append(f"{place}: {issue.message or issue.segment_id} (IK304 {issue.code})")
    if s.issues_dropped:
        out.append(f"{where}: {s.issues_dropped} more segment findings")
    return out
