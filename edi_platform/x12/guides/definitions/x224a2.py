"""837D Health Care Claim: Dental, 005010X224A2 — derived from the 837P (X222A1) structure.

The dental TR3 shares the 837 envelope, header (1000A/B), billing/pay-to provider
(2000A, 2010AA/AB/AC), subscriber/payer (2000B, 2010BA/BB), patient (2000C, 2010CA),
other subscriber (2320, 2330x) and line adjudication (2430) structure with the
professional TR3, so we start from the 837P map and apply the documented dental
differences (X224A2 vs X222A1):

- ST03 is 005010X224A2; the 2000B PAT segment is not used in the dental TR3.
- 2300: dental claim dates (DTP 439 accident, 452 appliance placement, 472 service date,
  050 repricer received), DN1 orthodontic treatment, DN2 tooth status (up to 35); the
  ambulance/spinal/EPSDT segments (CR1, CR2, CRC) and anesthesia/condition HI are gone;
  REF adds G3 predetermination of benefits; 2310D is the assistant surgeon (NM1*DD) and
  2310E the supervising provider (NM1*DQ); the ambulance location loops are gone.
- 2400: SV3 dental service replaces SV1, TOO tooth information (up to 32) follows it;
  line dates 472, 441 prior placement, 452 appliance placement, 446 replacement, 196/198
  treatment start/completion; DME/ambulance/drug/test segments and 2410, 2420D-H, 2440
  loops are gone; 2420A rendering, 2420B assistant surgeon (NM1*DD), 2420C supervising
  (NM1*DQ), 2420D service facility (NM1*77).
Everything else keeps the 837P definition (2000A-C, 2010x, 2310A-C, 2320/2330x, 2430
structure and code lists) — an approximation where the dental TR3 differs in detail
(e.g. its 2330 loops); the package docstring lists the known gaps.
"""

from __future__ import annotations

import copy
import functools

from ..model import GuideDef, LoopDef, SegmentDef
from ..pyx12_maps import load_map
from .common import envelope_rules
from .dsl import S


def _loops(node: LoopDef, loop_id: str):
    for child in node.children:
        if isinstance(child, LoopDef):
            if child.id == loop_id:
                yield child
            yield from _loops(child, loop_id)


def _qual(seg: SegmentDef) -> frozenset[str]:
    first = seg.elements[0] if seg.elements else None
    codes = getattr(first, "codes", None)
    if codes is None and getattr(first, "components", None):
        codes = first.components[0].codes
    return codes or frozenset()


def _keep(loop: LoopDef, pred) -> None:
    loop.children = [c for c in loop.children if pred(c)]


def _set_codes(seg: SegmentDef, seq: int, codes: str) -> None:
    for e in seg.elements:
        if e.seq == seq:
            e.codes = frozenset(codes.split(","))


@functools.cache
def _base() -> LoopDef:
    return load_map("837.5010.X222.A1.xml")[1]


def guide_837d() -> GuideDef:
    """837 Health Care Claim: Dental (005010X224A2)."""
    root = copy.deepcopy(_base())
    st = root.children[0]
    _set_codes(st, 3, "005010X224A2")
    for bht_loop in _loops(root, "HEADER"):
        for seg in bht_loop.children:
            if isinstance(seg, SegmentDef) and seg.id == "REF":
                _set_codes(seg, 2, "005010X224A2")
    for loop in _loops(root, "2000B"):
        _keep(loop, lambda c: not (isinstance(c, SegmentDef) and c.id == "PAT"))
    for loop in _loops(root, "2300"):
        _dental_claim(loop)
    for loop in _loops(root, "2400"):
        _dental_line(loop)
    return GuideDef(
        st01="837",
        version="005010X224A2",
        name="Health Care Claim: Dental 005010X224A2",
        root=root,
        functional_id="HC",
        rules=envelope_rules(),
        contexts={"2300": ("CLM", "", 1, "CLM01")},
        source="our definition: 837P X222A1 map + X224A2 dental differences",
    )


def _dtp(name: str, code: str, fmt: str, max_use: int, pos: str, usage: str = "S"):
    return S("DTP", name, usage, max_use, f"R:{code} R:{fmt} R", pos=pos)


def _dental_claim(loop: LoopDef) -> None:
    keep_dtp = {"439", "050"}
    keep_ref = {"9F", "G1", "F8", "9A", "9C", "D9", "EA"}
    out: list = []
    for c in loop.children:
        if isinstance(c, SegmentDef):
            q = _qual(c)
            if c.id == "CLM":
                _set_codes(c, 19, "PB")  # CLM19 predetermination of benefits
                out.append(c)
            elif c.id == "DTP":
                if q & keep_dtp:
                    out.append(c)
                if "050" in q:  # after the last kept DTP: the dental dates, DN1, DN2
                    out += [
                        _dtp("Date - Appliance Placement", "452", "D8", 5, c.pos),
                        _dtp("Date - Service Date", "472", "D8", 1, c.pos),
                        S("DN1", "Orthodontic Information", "S", 1, "S S S:Y S", pos="1360"),
                        S("DN2", "Tooth Status", "S", 35, "R R:E,M N N N", pos="1370"),
                    ]
            elif c.id == "REF":
                if q & keep_ref:
                    out.append(c)
                if "9F" in q:
                    out.append(
                        S("REF", "Predetermination Identification", "S", 1, "R:G3 R", pos=c.pos)
                    )
            elif c.id in ("CR1", "CR2", "CRC"):
                continue
            elif c.id == "HI":
                if q & {"ABK", "BK"}:
                    c.usage = "S"  # dental claims carry a diagnosis only when needed
                    out.append(c)
            else:
                out.append(c)
        elif c.id in ("2310E", "2310F"):
            continue
        elif c.id == "2310D":
            # X224A2: 2310D assistant surgeon (NM1*DD), then 2310E supervising (NM1*DQ)
            out.append(_renamed(c, "2310D", "Assistant Surgeon Name", "DD"))
            out.append(_renamed(c, "2310E", None, None))
        else:
            out.append(c)
    loop.children = out


def _renamed(loop: LoopDef, loop_id: str, name: str | None, nm101: str | None) -> LoopDef:
    """A copy of a provider name loop under another id (and entity code)."""
    new = copy.deepcopy(loop)
    new.id = loop_id
    if name is not None:
        new.name = name
        new.children[0].name = name
    if nm101 is not None:
        _set_codes(new.children[0], 1, nm101)
    return new


def _sv3() -> SegmentDef:
    return S(
        "SV3",
        "Dental Service",
        "R",
        1,
        "R(R:AD|R|S|S|S|S|S|N) R S:$pos "
        "S(R:00,01,02,03,04,05,06,07,08,09,10,20,30,40,L,R|S|S|S|S) S:I,R S N N N N "
        "S@C004(R@1328|S@1328|S@1328|S@1328)",
        syntax="",
        pos="3700",
    )


def _too() -> SegmentDef:
    surface = "B,D,F,I,L,M,O"
    return S(
        "TOO",
        "Tooth Information",
        "S",
        32,
        f"R:JP S S(R:{surface}|S:{surface}|S:{surface}|S:{surface}|S:{surface})",
        pos="3820",
    )


def _dental_line(loop: LoopDef) -> None:
    drop_seg = {"SV1", "SV5", "CR1", "CR3", "CRC", "QTY", "MEA", "PS1"}
    keep_ref = {"9B", "9D", "G1", "6R", "9F"}
    out: list = []
    for c in loop.children:
        if isinstance(c, SegmentDef):
            q = _qual(c)
            if c.id == "SV1":
                out += [_sv3(), _too()]
            elif c.id in drop_seg or (c.id == "PWK" and "CT" in q):
                continue
            elif c.id == "DTP":
                if "472" in q:
                    c.usage = "S"  # required only when the claim-level 472 is absent
                    out += [
                        c,
                        _dtp("Date - Prior Placement", "441", "D8", 1, c.pos),
                        _dtp("Date - Appliance Placement", "452", "D8", 1, c.pos),
                        _dtp("Date - Replacement", "446", "D8", 1, c.pos),
                        _dtp("Date - Treatment Start", "196", "D8", 1, c.pos),
                        _dtp("Date - Treatment Completion", "198", "D8", 1, c.pos),
                    ]
            elif c.id == "REF":
                if q & keep_ref:
                    out.append(c)
                if "9F" in q:
                    out.append(
                        S("REF", "Predetermination Identification", "S", 1, "R:G3 R", pos=c.pos)
                    )
            elif c.id == "AMT":
                if "T" in q:
                    out.append(c)
            elif c.id == "NTE":
                if "TPO" not in q:
                    out.append(c)
            else:
                out.append(c)
        elif c.id == "2420A" or c.id == "2430":
            if c.id == "2430":
                # X224A2 2420A rendering, 2420B assistant surgeon (NM1*DD), 2420C
                # supervising (NM1*DQ), 2420D service facility (NM1*77), then 2430
                loops = {x.id: x for x in loop.children if isinstance(x, LoopDef)}
                supervising, facility = loops["2420D"], loops["2420C"]
                out.append(_renamed(supervising, "2420B", "Assistant Surgeon Name", "DD"))
                out.append(_renamed(supervising, "2420C", None, None))
                out.append(_renamed(facility, "2420D", None, None))
            out.append(c)
        # 2410 drug, 2420B-H (purchased service .. ambulance) and 2440 forms: not dental
    loop.children = out
