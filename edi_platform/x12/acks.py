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

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from itertools import islice
from typing import Any, Literal

import orjson

from edi_platform.x12.ack_values import (
    BUSINESS_CONTEXT_NAMES,
    ak101,
    ak201,
    fit_an,
    fit_id,
    fit_n0,
    ik402,
    segment_id,
    st_element_notes,
)
from edi_platform.x12.builder import (
    EnvelopeParams,
    _check_params,
    _join,
    build_group_segments,
    isa_segment,
    render_segment,
)
from edi_platform.x12.codes import AK9_ERROR_CODES, IK5_ERROR_CODES
from edi_platform.x12.envelope import is_valid_hhmm, is_valid_yymmdd
from edi_platform.x12.issues import Context, element_snip, segment_snip
from edi_platform.x12.numbers import clamp, is_ascii_digits
from edi_platform.x12.report import GroupReport, InterchangeReport, SetReport
from edi_platform.x12.segments import Delimiters

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
# codes X231A1 lists for AK905-AK909 (DE 716) and IK502-IK506 (DE 618) that we emit
AK905_CODES = frozenset(AK9_ERROR_CODES)
IK502_CODES = frozenset(IK5_ERROR_CODES)
_SETS_PER_CHUNK = 1000
_AK2_MEMO: dict[tuple[str, str, str], tuple[str, str]] = {}
_AK2_MEMO_MAX = 4096

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


def ta1_content(
    interchange: InterchangeReport, *, received: datetime | None = None
) -> dict[str, Any]:
    """TA1 content for one inbound interchange (JSON-safe).

    TA101-TA103 copy ISA13/ISA09/ISA10; TA104 is A/E/R and TA105 the note code of the first
    interchange finding ("000" when none). A TA1 must itself be valid, so an ISA13 that is not
    nine digits is sent as zeros, and an ISA09/ISA10 that is not a real date/time as the time
    the interchange was ``received`` (now when not given; the TA105 code says what was wrong).
    """
    h = interchange.header
    when = received if received is not None else datetime.now(UTC)
    return {
        "type": "TA1",
        "control_number": _digits_or(h.control_number, 9),
        "date": h.date if is_valid_yymmdd(h.date) else when.strftime("%y%m%d"),
        "time": h.time if is_valid_hhmm(h.time) else when.strftime("%H%M"),
        "ack_code": interchange.ta1_code,
        "note_code": interchange.ta1_note,
        "original_sender": [h.sender_qualifier, h.sender_id],
        "original_receiver": [h.receiver_qualifier, h.receiver_id],
    }


def ack_999_content(group: GroupReport) -> dict[str, Any]:
    """999 content for one inbound functional group (JSON-safe).

    One AK2 per transaction set (also when ST03 is missing), IK3 with CTX and IK4 per finding,
    IK5 with the set codes, AK9 with the group verdict, counts and codes. Every IK3/IK4 carries
    the SNIP type of its finding (``"snip"``); values that X231A1 does not allow in our 999
    are replaced as :mod:`edi_platform.x12.ack_values` describes. A group that is not
    :attr:`~GroupReport.acknowledgeable` has no valid AK101 (``ak1[0]`` is then ``""``).
    """
    fid = _functional_id(group)
    return _group_content(group, [_response(s, fid) for s in _compact(group.sets)], fid)


def ack_999_json(group: GroupReport) -> bytes:
    """:func:`ack_999_content` already encoded as compact JSON (UTF-8), for storing.

    The set responses are built and encoded a thousand at a time, so a group of 10^5 sets
    never holds 10^5 response dicts at once (about 400 bytes each, against about 50 bytes of
    JSON); one ``dumps`` per thousand costs less than one per set.
    """
    fid = _functional_id(group)
    sets, count = group.sets, len(group.sets)
    compact = _compact(sets)
    pieces = [
        orjson.dumps([_response(s, fid) for s in islice(compact, _SETS_PER_CHUNK)])[1:-1]
        for _ in range(0, count, _SETS_PER_CHUNK)
    ]
    chunks = orjson.Fragment(b"[" + b",".join(pieces) + b"]")
    return orjson.dumps(_group_content(group, chunks, fid))


def _functional_id(group: GroupReport) -> str:
    return ak101(group.header.functional_id, sorted(group.sets.ids())) or ""


def _group_content(group: GroupReport, sets: Any, functional_id: str) -> dict[str, Any]:
    h = group.header
    return {
        "type": "999",
        "ak1": [functional_id, h.control_number, h.version],
        "sets": sets,
        # AK902-AK904 are N0 1/6: a count above 999,999 cannot be written, so it is clamped
        "ak9": [
            group.ack_code,
            clamp(group.included, AK9_COUNT_MAX),
            clamp(group.received, AK9_COUNT_MAX),
            clamp(group.accepted, AK9_COUNT_MAX),
            *[c for c in group.codes if c in AK905_CODES][:5],
        ],
    }


def _context(c: Context) -> dict[str, Any]:
    return {
        "name": c.name,
        "reference": c.reference,
        "segment_id": c.segment_id or "",
        "position": c.position,
        "loop_id": c.loop_id or "",
        "element_position": c.element_position,
    }


def _compact(sets: Iterable[SetReport]) -> Iterator[SetReport | tuple[str, str, str]]:
    compact = getattr(sets, "compact", None)  # a SetList: clean sets without report objects
    return compact() if compact is not None else iter(sets)


def _response(s: SetReport | tuple[str, str, str], functional_id: str) -> dict[str, Any]:
    if type(s) is tuple:  # a clean accepted set: (ST01, ST02, ST03)
        st01, st02, st03 = s
        fixed = _ak2_fixed(st01, functional_id, st03)
        if (
            fixed[0] == st01
            and fixed[1] == st03
            and 4 <= len(st02) <= 9
            and st02.isalnum()
            and st02.isascii()
        ):
            return {"ak2": [st01, st02, st03], "ik3": [], "ik5": ["A"]}
        s = SetReport(st01, st02, st03, 0, 0)
    return _set_response(s, functional_id)  # type: ignore[arg-type]


def _ak2_fixed(st01: str, functional_id: str, st03: str) -> tuple[str, str]:
    # AK201 and AK203 depend on (ST01, AK101, ST03) only, which repeat across a group
    key = (st01, functional_id, st03)
    fixed = _AK2_MEMO.get(key)
    if fixed is None:
        fixed = (
            ak201(st01, functional_id) or "",
            st03 if _plain(st03, 35) or st03 == fit_an(st03, 35) else "",
        )
        if len(_AK2_MEMO) < _AK2_MEMO_MAX:
            _AK2_MEMO[key] = fixed
    return fixed


def _set_response(s: SetReport, functional_id: str = "") -> dict[str, Any]:
    """The AK2 loop of one set: AK2, its IK3/CTX/IK4 findings, IK5."""
    st01, st02, st03 = s.id, s.control_number, s.implementation_reference
    fixed = _ak2_fixed(st01, functional_id, st03)
    ak202 = st02 if 4 <= len(st02) <= 9 and st02.isalnum() and st02.isascii() else _st02(st02)
    ak2 = (fixed[0], ak202, fixed[1])
    issues = s.issues
    codes = s.codes
    ik5 = [s.ack_code, *[c for c in codes if c in IK502_CODES][:5]] if codes else [s.ack_code]
    if fixed[0] == st01 and ak202 is st02 and fixed[1] == st03:
        if not issues:  # the usual accepted set: nothing to say
            return {"ak2": list(ak2), "ik3": [], "ik5": ik5}
        notes = []
    else:
        notes = st_element_notes(st01, st02, st03, ak2=ak2)
    ik3s = []
    if notes:
        # what AK2 could not echo is said in an IK3 on the ST (one per set, first)
        st_issue = next((i for i in issues if i.position == 1 and i.segment_id == "ST"), None)
        if st_issue is None:
            ik3s.append(
                {
                    "segment_id": "ST",
                    "position": 1,
                    "loop_id": "",
                    "code": "8",
                    "snip": 1,
                    "contexts": [],
                    "elements": notes,
                }
            )
    for issue in issues:
        ik3s.append(
            {
                "segment_id": issue.segment_id,
                "position": issue.position,
                "loop_id": issue.loop_id or "",
                "code": issue.code or "8",
                "snip": segment_snip(issue),
                "contexts": [_context(c) for c in issue.contexts],
                "elements": [
                    {
                        "position": e.position,
                        "component": e.component,
                        "repetition": e.repetition,
                        "reference": ik402(e.reference),
                        "code": e.code,
                        # X12 forbids trailing blanks in AN values: send the copy trimmed
                        "bad_value": (e.bad_value or "").rstrip(" ")[:IK404_MAX],
                        "snip": element_snip(e),
                        "contexts": [_context(c) for c in e.contexts],
                    }
                    for e in issue.elements
                ]
                + (notes if notes and issue.position == 1 and issue.segment_id == "ST" else []),
            }
        )
    return {"ak2": list(ak2), "ik3": ik3s, "ik5": ik5}


def _plain(value: str, max_len: int) -> bool:
    # the usual echo: printable ASCII within bounds and no trailing blank (nothing to fit)
    return len(value) <= max_len and value.isascii() and value.isprintable() and value[-1:] != " "


def _st02(value: str) -> str:
    # AK202 is AN 4/9: a short control number is zero-padded, a long one cut (IK4 on ST02
    # says what was received)
    v = fit_an(value, 9)
    return v.rjust(4, "0") if len(v) < 4 else v


def _999_body(content: dict[str, Any], d: Delimiters) -> list[list[Any]]:
    """The 999 segments of one content, every value fitted to X231A1 with the delimiters
    it will be written with (so a copied value can neither break the file nor the guide)."""
    banned = d.element + d.component + d.segment + d.repetition
    ak1 = content["ak1"]
    gs06 = str(ak1[1])
    body: list[list[Any]] = [
        [
            "AK1",
            fit_id(str(ak1[0]), 2, 2),
            gs06 if 1 <= len(gs06) <= 9 and is_ascii_digits(gs06) else "0",
            fit_an(str(ak1[2]), 12, banned) or "UNKNOWN",
        ]
    ]
    fitted: dict[tuple[str, str], tuple[str, str]] = {}  # (AK201, AK203) repeat per group
    for s in content["sets"]:
        ak2 = s["ak2"]
        if len(ak2) != 3:
            ak2 = [*ak2, "", "", ""][:3]
        st01, st02, st03 = str(ak2[0]), str(ak2[1]), str(ak2[2])
        pair = fitted.get((st01, st03))
        if pair is None:
            pair = fitted[st01, st03] = (fit_id(st01, 3, 3), fit_an(st03, 35, banned))
        if not (4 <= len(st02) <= 9 and st02.isalnum() and st02.isascii()):
            st02 = fit_an(st02, 9, banned)
            st02 = st02.rjust(4, "0") if len(st02) < 4 else st02
        body.append(["AK2", pair[0], st02, pair[1]])
        for ik3 in s["ik3"]:
            # IK303 is AN 1/4: a guide loop id like "2100A" does not fit, and a cut one
            # would name another loop, so it is left out (the content keeps it for people)
            loop_id = ik3["loop_id"] if len(ik3["loop_id"]) <= 4 else ""
            body.append(
                [
                    "IK3",
                    segment_id(str(ik3["segment_id"])),
                    fit_n0(ik3["position"], 999_999),
                    fit_an(loop_id, 4, banned),
                    ik3["code"],
                ]
            )
            body.extend(_ctx_segments(ik3["contexts"], banned, element_level=False))
            for e in ik3["elements"]:
                pos = [fit_n0(e["position"], 99)]
                if e["component"] is not None or e["repetition"] is not None:
                    pos.append(fit_n0(e["component"], 99))
                if e["repetition"] is not None:
                    pos.append(fit_n0(e["repetition"], 9999))
                body.append(
                    [
                        "IK4",
                        pos,
                        ik402(str(e["reference"] or "")),
                        e["code"],
                        fit_an(str(e["bad_value"] or ""), IK404_MAX, banned),
                    ]
                )
                body.extend(_ctx_segments(e.get("contexts", ()), banned, element_level=True))
        body.append(["IK5", *s["ik5"]])
    body.append(["AK9", *(str(v) for v in content["ak9"])])
    return body


def _ctx_segments(contexts: Any, banned: str, *, element_level: bool) -> list[list[Any]]:
    """CTX segments as X231A1 shapes them: a situational trigger names the triggering segment
    (CTX01-2 not used; at most 9 after an IK3, 10 after an IK4); a business unit context
    (after an IK3 only, at most one) names one of the listed units and its value."""
    out: list[list[Any]] = []
    triggers = 0
    business = 0
    for c in contexts:
        name = c["name"]
        if name == "SITUATIONAL TRIGGER" and c["segment_id"]:
            if triggers >= (10 if element_level else 9):
                continue
            triggers += 1
            loop_id = c["loop_id"] if len(c["loop_id"]) <= 4 else ""
            out.append(
                [
                    "CTX",
                    [name],
                    segment_id(str(c["segment_id"])),
                    fit_n0(c["position"], 999_999),
                    fit_an(loop_id, 4, banned),
                    "" if c["element_position"] is None else [fit_n0(c["element_position"], 99)],
                ]
            )
        elif name in BUSINESS_CONTEXT_NAMES and not element_level and not business:
            reference = fit_an(str(c["reference"] or ""), 35, banned)
            if reference:
                business += 1
                out.append(["CTX", [name, reference]])
    return out


def render_999_interchange(
    contents: Sequence[dict[str, Any]], *, envelope: EnvelopeParams, st02s: Sequence[str]
) -> bytes:
    """One interchange with one GS (FA) and one 999 per content, numbered by ``st02s``."""
    _check_params(envelope)
    segments = [isa_segment(envelope)]
    segments += build_group_segments(
        [("999", _999_body(c, envelope.delimiters)) for c in contents],
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
