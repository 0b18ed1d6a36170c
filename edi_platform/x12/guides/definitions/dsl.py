"""Compact notation for our own guide definitions.

A segment is written ``S(id, name, usage, max_use, "tokens")`` where ``tokens`` holds one
token per element position, space separated::

    R            required, no code list          S:D8,RD8   situational, with codes
    N            not used                        R*99:...   up to 99 repetitions
    R@1250       element of data element 1250 (type/length from the dictionary)
    S(R:AD,HC|R|S|S|S|S|N|N)                     a composite, one token per component
    R:$service_type                              an external code set (codes.xml)
    R~[0-9]{9}                                   a guide pattern (IK403 I12 on failure)

The element layout (data element refs, composites, types and lengths) comes from the X12
segment dictionary unless a token names its data element with ``@ref``. Elements past the
last token are "not used". Loops: ``L(id, name, usage, repeat, [children...])``.
"""

from __future__ import annotations

import re

from ..model import UNBOUNDED, CompositeDef, ElementDef, LoopDef, SegmentDef
from ..pyx12_maps import data_elements, segment_dictionary

U = UNBOUNDED
_TOKEN = re.compile(
    r"^(?P<u>[RSN])(?:@(?P<ref>[A-Z0-9]+))?(?:\*(?P<rep>\d+))?"
    r"(?:~(?P<rx>[^:(]+))?(?::(?P<codes>[^()]*))?(?:\((?P<comp>.*)\))?$"
)


def _element(seq: int, tok: str, base: ElementDef | None, seg_id: str) -> ElementDef:
    m = _TOKEN.match(tok)
    if not m:
        raise ValueError(f"bad element token {tok!r} in {seg_id}{seq:02d}")
    ref = m.group("ref") or (base.ref if base else "")
    std = data_elements().get(ref)
    if std is not None:
        dtype, mn, mx, name = std
    elif base is not None:
        dtype, mn, mx, name = base.data_type, base.min_len, base.max_len, base.name
    elif m.group("u") == "N":
        dtype, mn, mx, name = "AN", 1, 80, ""  # not used: only its presence matters
    else:
        raise ValueError(f"{seg_id}{seq:02d}: unknown data element {ref!r}")
    codes_txt = m.group("codes")
    codes = external = None
    if codes_txt:
        if codes_txt.startswith("$"):
            external = codes_txt[1:]
        else:
            codes = frozenset(codes_txt.split(","))
    return ElementDef(
        seq=seq,
        ref=ref,
        name=name,
        usage=m.group("u"),
        data_type=dtype,
        min_len=mn,
        max_len=mx,
        codes=codes,
        external=external,
        regex=m.group("rx"),
        repeat=int(m.group("rep") or 1),
    )


def _split_tokens(spec: str) -> list[str]:
    out, depth, cur = [], 0, ""
    for ch in spec.strip():
        if ch == " " and depth == 0:
            if cur:
                out.append(cur)
            cur = ""
            continue
        depth += ch == "("
        depth -= ch == ")"
        cur += ch
    if cur:
        out.append(cur)
    return out


def S(
    seg_id: str,
    name: str,
    usage: str,
    max_use: int,
    spec: str,
    syntax: str = "",
    min_use: int = 0,
    pos: str = "",
) -> SegmentDef:
    """A segment; ``syntax`` overrides the dictionary's syntax notes (space separated)."""
    base = segment_dictionary().get(seg_id)
    by_seq = {e.seq: e for e in base.elements} if base else {}
    elements: list[ElementDef | CompositeDef] = []
    for seq, tok in enumerate(_split_tokens(spec), 1):
        b = by_seq.get(seq)
        m = _TOKEN.match(tok)
        if not m:
            raise ValueError(f"bad token {tok!r} in {seg_id}")
        comp = m.group("comp")
        is_comp = comp is not None or (
            isinstance(b, CompositeDef) and m.group("u") != "N" and not m.group("ref")
        )
        if is_comp:
            bcomps = {c.seq: c for c in b.components} if isinstance(b, CompositeDef) else {}
            ctoks = comp.split("|") if comp else []
            comps = [
                _element(i, t, bcomps.get(i), f"{seg_id}{seq:02d}-") for i, t in enumerate(ctoks, 1)
            ]
            elements.append(
                CompositeDef(
                    seq=seq,
                    ref=m.group("ref") or (b.ref if b else ""),
                    name=b.name if b else "",
                    usage=m.group("u"),
                    components=comps,
                    repeat=int(m.group("rep") or 1),
                )
            )
        elif isinstance(b, CompositeDef) and not m.group("ref"):
            elements.append(CompositeDef(seq=seq, ref=b.ref, name=b.name, usage="N"))
        else:
            elements.append(_element(seq, tok, b if isinstance(b, ElementDef) else None, seg_id))
    notes = syntax.split() if syntax else (list(base.syntax) if base else [])
    return SegmentDef(
        id=seg_id,
        name=name,
        usage=usage,
        max_use=max_use,
        elements=elements,
        syntax=notes,
        min_use=min_use,
        pos=pos,
    )


def L(loop_id: str, name: str, usage: str, repeat: int, children: list) -> LoopDef:
    """A loop; its first child is the trigger segment."""
    return LoopDef(id=loop_id, name=name, usage=usage, repeat=repeat, children=list(children))


_group_counter = iter(range(1, 1_000_000))


def group(*segments: SegmentDef) -> list[SegmentDef]:
    """Segments sharing one position: the guide allows them in any order."""
    tag = f"g{next(_group_counter)}"
    for seg in segments:
        seg.pos = tag
    return list(segments)
