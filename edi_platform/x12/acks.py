"""TA1 and 999 (005010X231A1) acknowledgments: content as data, then rendering into bytes.

The inbound app stores the *content* (a JSON-safe dict derived from the validation report)
as an outcome payload; the outbound app later *renders* the contents of several outcomes into
one interchange with the partner's delimiters and the control numbers it allocated:

* :func:`ack_999_content` (per inbound functional group) → :func:`render_999_interchange`
  (one ISA, one GS "FA", one ST 999 per content, GE, IEA);
* :func:`ta1_content` (per inbound interchange) → :func:`render_ta1_interchange`
  (ISA, TA1..., IEA with IEA01 = 0: a TA1 always travels in its own interchange).

Rendering is deterministic: same contents and parameters → same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import orjson

from edi_platform.x12.builder import (
    EnvelopeParams,
    _check_params,
    _join,
    build_group_segments,
    isa_segment,
    render_segment,
)
from edi_platform.x12.numbers import clamp, is_ascii_digits
from edi_platform.x12.report import GroupReport, InterchangeReport, SetReport

__all__ = [
    "ACK_999_VERSION",
    "EnvelopeParams",
    "Ta1Policy",
    "ack_999_content",
    "ack_999_json",
    "build_999",
    "build_ta1",
    "render_999_interchange",
    "render_ta1_interchange",
    "ta1_content",
    "ta1_wanted",
]

ACK_999_VERSION = "005010X231A1"
IK404_MAX = 99  # IK404 is AN 1/99
AK9_COUNT_MAX = 999_999  # AK902-AK904 are N0 1/6
_SETS_PER_CHUNK = 1000

Ta1Policy = Literal["never", "on_request", "always", "on_error"]


def ta1_wanted(interchange: InterchangeReport, policy: Ta1Policy) -> bool:
    """Whether a TA1 goes back for this interchange under the partner's TA1 policy.

    ``on_request`` answers ISA14 = 1, and also an ISA too broken to read ISA14 from; an
    unidentifiable sender never gets a TA1 (there is nobody to address it to).
    """
    if not interchange.sender_identified or policy == "never":
        return False
    if policy == "always":
        return True
    if policy == "on_error":
        return interchange.ta1_code != "A"
    return interchange.header.ack_requested == "1" or interchange.broken


def _digits_or(value: str, width: int) -> str:
    return value if len(value) == width and is_ascii_digits(value) else "0" * width


def ta1_content(interchange: InterchangeReport) -> dict[str, Any]:
    """TA1 content for one inbound interchange (JSON-safe).

    TA101-TA103 copy ISA13/ISA09/ISA10 (zeros when unreadable), TA104 is A/E/R and TA105 the
    note code of the first interchange finding ("000" when none).
    """
    h = interchange.header
    return {
        "type": "TA1",
        "control_number": _digits_or(h.control_number, 9),
        "date": _digits_or(h.date, 6),
        "time": _digits_or(h.time, 4),
        "ack_code": interchange.ta1_code,
        "note_code": interchange.ta1_note,
        "original_sender": [h.sender_qualifier, h.sender_id],
        "original_receiver": [h.receiver_qualifier, h.receiver_id],
    }


def ack_999_content(group: GroupReport) -> dict[str, Any]:
    """999 content for one inbound functional group (JSON-safe).

    One AK2 per transaction set (also when ST03 is missing), IK3 with CTX and IK4 per finding,
    IK5 with the set codes, AK9 with the group verdict, counts and codes.
    """
    return _group_content(group, [_set_response(s) for s in group.sets])


def ack_999_json(group: GroupReport) -> bytes:
    """:func:`ack_999_content` already encoded as compact JSON (UTF-8), for storing.

    The set responses are built and encoded a thousand at a time, so a group of 10^5 sets
    never holds 10^5 response dicts at once (about 400 bytes each, against about 50 bytes of
    JSON); one ``dumps`` per thousand costs less than one per set.
    """
    sets, count = group.sets, len(group.sets)
    pieces = [
        orjson.dumps([_set_response(s) for s in sets[start : start + _SETS_PER_CHUNK]])[1:-1]
        for start in range(0, count, _SETS_PER_CHUNK)
    ]
    return orjson.dumps(_group_content(group, orjson.Fragment(b"[" + b",".join(pieces) + b"]")))


def _group_content(group: GroupReport, sets: Any) -> dict[str, Any]:
    h = group.header
    return {
        "type": "999",
        "ak1": [h.functional_id, h.control_number, h.version],
        "sets": sets,
        # AK902-AK904 are N0 1/6: a count above 999,999 cannot be written, so it is clamped
        "ak9": [
            group.ack_code,
            clamp(group.included, AK9_COUNT_MAX),
            clamp(group.received, AK9_COUNT_MAX),
            clamp(group.accepted, AK9_COUNT_MAX),
            *group.codes,
        ],
    }


def _set_response(s: SetReport) -> dict[str, Any]:
    """The AK2 loop of one set: AK2, its IK3/CTX/IK4 findings, IK5."""
    ik3s = []
    for issue in s.issues:
        ik3s.append(
            {
                "segment_id": issue.segment_id,
                "position": issue.position,
                "loop_id": issue.loop_id or "",
                "code": issue.code or "8",
                "contexts": [
                    {
                        "name": c.name,
                        "reference": c.reference,
                        "segment_id": c.segment_id or "",
                        "position": c.position,
                        "loop_id": c.loop_id or "",
                        "element_position": c.element_position,
                    }
                    for c in issue.contexts
                ],
                "elements": [
                    {
                        "position": e.position,
                        "component": e.component,
                        "repetition": e.repetition,
                        "reference": e.reference or "",
                        "code": e.code,
                        # X12 forbids trailing blanks in AN values: send the copy trimmed
                        "bad_value": (e.bad_value or "").rstrip(" ")[:IK404_MAX],
                    }
                    for e in issue.elements
                ],
            }
        )
    return {
        "ak2": [s.id, s.control_number, s.implementation_reference],
        "ik3": ik3s,
        "ik5": [s.ack_code, *s.codes],
    }


def _999_body(content: dict[str, Any]) -> list[list[Any]]:
    body: list[list[Any]] = [["AK1", *content["ak1"]]]
    for s in content["sets"]:
        body.append(["AK2", *s["ak2"]])
        for ik3 in s["ik3"]:
            # IK303 is AN 1/4: a guide loop id like "2100A" does not fit, and a cut one
            # would name another loop, so it is left out (the content keeps it for people)
            loop_id = ik3["loop_id"] if len(ik3["loop_id"]) <= 4 else ""
            body.append(["IK3", ik3["segment_id"], str(ik3["position"]), loop_id, ik3["code"]])
            for c in ik3["contexts"]:
                ctx: list[Any] = ["CTX", [c["name"], c["reference"]]]
                if c["segment_id"]:
                    ctx += [
                        c["segment_id"],
                        "" if c["position"] is None else str(c["position"]),
                        c["loop_id"] if len(c["loop_id"]) <= 4 else "",
                        "" if c["element_position"] is None else [str(c["element_position"])],
                    ]
                body.append(ctx)
            for e in ik3["elements"]:
                pos = [str(e["position"])]
                if e["component"] is not None or e["repetition"] is not None:
                    pos.append("" if e["component"] is None else str(e["component"]))
                if e["repetition"] is not None:
                    pos.append(str(e["repetition"]))
                body.append(["IK4", pos, e["reference"], e["code"], e["bad_value"]])
        body.append(["IK5", *s["ik5"]])
    body.append(["AK9", *(str(v) for v in content["ak9"])])
    return body


def render_999_interchange(
    contents: Sequence[dict[str, Any]], *, envelope: EnvelopeParams, st02s: Sequence[str]
) -> bytes:
    """One interchange with one GS (FA) and one 999 per content, numbered by ``st02s``."""
    _check_params(envelope)
    segments = [isa_segment(envelope)]
    segments += build_group_segments(
        [("999", _999_body(c)) for c in contents],
        envelope=envelope,
        functional_id="FA",
        version=ACK_999_VERSION,
        st02s=st02s,
    )
    segments.append(render_segment(["IEA", "1", f"{envelope.isa13:09d}"], envelope.delimiters))
    return _join(segments, envelope)


def render_ta1_interchange(
    contents: Sequence[dict[str, Any]], *, envelope: EnvelopeParams
) -> bytes:
    """ISA, one TA1 per content, IEA with IEA01 = 0 (no functional groups)."""
    _check_params(envelope)
    d = envelope.delimiters
    segments = [isa_segment(envelope)]
    for c in contents:
        segments.append(
            render_segment(
                ["TA1", c["control_number"], c["date"], c["time"], c["ack_code"], c["note_code"]],
                d,
            )
        )
    segments.append(render_segment(["IEA", "0", f"{envelope.isa13:09d}"], d))
    return _join(segments, envelope)


def build_999(group: GroupReport, *, envelope: EnvelopeParams, st02: str) -> bytes:
    """Shortcut: the 999 interchange for one inbound group (content + rendering)."""
    return render_999_interchange([ack_999_content(group)], envelope=envelope, st02s=[st02])


def build_ta1(interchange: InterchangeReport, *, envelope: EnvelopeParams) -> bytes:
    """Shortcut: the TA1 interchange for one inbound interchange (content + rendering)."""
    return render_ta1_interchange([ta1_content(interchange)], envelope=envelope)
