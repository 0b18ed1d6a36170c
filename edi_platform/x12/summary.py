"""A validation report as the JSON-safe summaries and reasons people read.

The ingest service stores these on its batch and header rows and shows them in the admin.
They carry codes, positions, element names and their meanings from the X12 code lists —
never the bad values themselves (inbound data carries PHI).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from edi_platform.x12 import codes
from edi_platform.x12.issues import element_snip, segment_snip
from edi_platform.x12.report import SetReport, ValidationReport

__all__ = [
    "MAX_ERRORS_PER_SET",
    "MAX_REPORT_ISSUES",
    "MAX_SHOWN_VALUE",
    "printable",
    "report_summary",
    "set_errors",
    "set_errors_json",
    "set_reason",
]

MAX_ERRORS_PER_SET = 50  # the 999 has them all; a summary shows the first ones
MAX_REPORT_ISSUES = 50
MAX_SHOWN_VALUE = 200  # characters of one message or value quoted from a file


def printable(text: str, limit: int = MAX_SHOWN_VALUE) -> str:
    """``text`` as people can read it: control characters, U+FFFD (an undecodable byte) and
    other non-printable characters escaped (``\\r``, ``\\x00``, ``\\ufffd``), at most
    ``limit`` characters (then ``…``). Engine messages and envelope values quote the file,
    whose bytes can be anything."""
    if text.isprintable() and len(text) <= limit:
        return text
    shown = "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def set_reason(s: SetReport) -> str:
    """One line on why a set was rejected: its IK5 codes and its first finding's place."""
    text = ", ".join(f"{c} {codes.IK5_ERROR_CODES.get(c, 'set error')}" for c in s.codes)
    first = s.issues[0] if s.issues else None
    where = ""
    if first is not None:
        where = f"; first: {first.segment_id} at line {first.line} (position {first.position})"
    return printable(
        f"Transaction set {s.id} ST02 {s.control_number} rejected (IK5 R: {text}){where}",
        limit=2 * MAX_SHOWN_VALUE,
    )


def set_errors(s: SetReport) -> list[dict[str, Any]]:
    """Codes, positions and meanings of a set's findings; never the bad values (PHI)."""
    errors: list[dict[str, Any]] = []
    for code in s.codes:
        errors.append(
            {
                "level": "set",
                "code": code,
                "meaning": codes.IK5_ERROR_CODES.get(code, "set error"),
                "line": s.line,
            }
        )
    for issue in s.issues[:MAX_ERRORS_PER_SET]:
        errors.append(
            {
                "level": "segment",
                "segment": issue.segment_id,
                "position": issue.position,
                "line": issue.line,
                "loop": issue.loop_id or "",
                "code": issue.code or "8",
                "meaning": codes.IK3_ERROR_CODES.get(issue.code or "8", "segment error"),
                "snip": segment_snip(issue),  # the WEDI SNIP type of the rule broken
                "message": printable(issue.message),
                "elements": [
                    {
                        "position": e.position,
                        "component": e.component,
                        "repetition": e.repetition,
                        "reference": e.reference or "",
                        "name": e.name,
                        "code": e.code,
                        "meaning": codes.IK4_ERROR_CODES.get(e.code, "element error"),
                        "snip": element_snip(e),
                    }
                    for e in issue.elements
                ],
            }
        )
    dropped = max(0, len(s.issues) - MAX_ERRORS_PER_SET) + s.issues_dropped
    if dropped:
        errors.append({"level": "note", "message": f"{dropped} more findings (see the 999)"})
    return errors


def set_errors_json(s: SetReport) -> str:
    """:func:`set_errors` as JSON text ("[]" for a clean set, without building anything)."""
    if not s.codes and not s.issues and not s.issues_dropped:
        return "[]"
    return orjson.dumps(set_errors(s)).decode()


def _issue_dicts(issues: Iterable[Any], table: dict[str, str]) -> list[dict[str, Any]]:
    out = []
    for issue in list(issues)[:MAX_REPORT_ISSUES]:
        out.append(
            {
                "code": issue.code,
                "meaning": table.get(issue.code, ""),
                "message": printable(issue.message),
                "line": issue.line,
            }
        )
    return out


def report_summary(report: ValidationReport) -> dict[str, Any]:
    """The interchange and group levels of the report (the sets are summarised one by one
    with :func:`set_errors`)."""
    interchanges = []
    for ic in report.interchanges:
        h = ic.header
        d = ic.delimiters
        interchanges.append(
            {
                "isa13": h.control_number,
                "sender": [h.sender_qualifier, h.sender_id],
                "receiver": [h.receiver_qualifier, h.receiver_id],
                "date": h.date,
                "time": h.time,
                "version": h.version,
                "ack_requested": h.ack_requested,
                "usage": h.usage,
                "line": h.line,
                "offset": h.offset,
                "delimiters": None
                if d is None
                else {
                    "element": d.element,
                    "repetition": d.repetition,
                    "component": d.component,
                    "segment": d.segment,
                },
                "ta1_code": ic.ta1_code,
                "ta1_note": ic.ta1_note,
                "ta1_meaning": codes.TA1_NOTE_CODES.get(ic.ta1_note, ""),
                "issues": _issue_dicts(ic.issues, codes.TA1_NOTE_CODES),
                "broken": ic.broken,
                "verdict": ic.verdict,
                "groups": [
                    {
                        "gs01": g.header.functional_id,
                        "gs06": g.header.control_number,
                        "gs08": g.header.version,
                        "line": g.header.line,
                        "ack_code": g.ack_code,
                        "ack_meaning": codes.AK9_ACK_CODES.get(g.ack_code, ""),
                        "included": g.included,
                        "received": g.received,
                        "accepted": g.accepted,
                        "issues": _issue_dicts(g.issues, codes.AK9_ERROR_CODES),
                        "set_count": len(g.sets),
                    }
                    for g in ic.groups
                ],
            }
        )
    return {
        "verdict": report.verdict,
        "error_code": report.error_code,
        "error": report.error,
        "problems": _issue_dicts(report.problems, {}),
        "segment_count": report.segment_count,
        "bytes_read": report.bytes_read,
        "interchanges": interchanges,
    }
