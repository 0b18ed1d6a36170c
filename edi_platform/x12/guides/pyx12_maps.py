"""Load pyx12's XML implementation-guide maps as *data* into our :mod:`.model` types.

pyx12 (BSD) is a declared dependency; we only read its XML files from the installed
package (``pyx12/map/*.xml``) — its Python code is never imported. The maps give loop,
segment and element structure, usages, repeats, code lists and syntax notes; element
types and lengths come from its ``dataele.xml`` and external code sets from ``codes.xml``.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import xml.etree.ElementTree as ET

from .model import UNBOUNDED, CompositeDef, ElementDef, LoopDef, SegmentDef


@functools.cache
def map_dir() -> str:
    """Directory of the installed pyx12 package's XML maps (without importing pyx12)."""
    spec = importlib.util.find_spec("pyx12")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("pyx12 is not installed: its XML maps are needed as data")
    return os.path.join(next(iter(spec.submodule_search_locations)), "map")


@functools.cache
def data_elements() -> dict[str, tuple[str, int, int, str]]:
    """Data element dictionary: ref -> (type, min_len, max_len, name)."""
    root = ET.parse(os.path.join(map_dir(), "dataele.xml")).getroot()
    out: dict[str, tuple[str, int, int, str]] = {}
    for node in root.iter("data_ele"):
        out[node.get("ele_num", "")] = (
            node.get("data_type", "AN"),
            int(node.get("min_len", "1")),
            int(node.get("max_len", "80")),
            node.get("name", ""),
        )
    return out


@functools.cache
def external_codes() -> dict[str, frozenset[str]]:
    """External code sets by name (states, country, pos, ...)."""
    root = ET.parse(os.path.join(map_dir(), "codes.xml")).getroot()
    out: dict[str, frozenset[str]] = {}
    for cs in root.iter("codeset"):
        name = (cs.findtext("id") or "").strip()
        out[name] = frozenset((c.text or "").strip() for c in cs.iter("code"))
    return out


def _count(text: str | None, default: int = 1) -> int:
    text = (text or "").strip()
    if not text:
        return default
    if text.startswith(">"):
        return UNBOUNDED
    try:
        return int(text)
    except ValueError:
        return default


def _element(node: ET.Element) -> ElementDef:
    ref = (node.findtext("data_ele") or "").strip()
    dtype, mn, mx, std_name = data_elements().get(ref, ("AN", 1, 256, ""))
    vc = node.find("valid_codes")
    codes = None
    external = None
    if vc is not None:
        external = vc.get("external")
        listed = [(c.text or "").strip() for c in vc.iter("code")]
        if listed:
            codes = frozenset(listed)
    regex = node.findtext("regex")
    return ElementDef(
        seq=int(node.findtext("seq") or "0"),
        ref=ref,
        name=(node.findtext("name") or std_name).strip(),
        usage=(node.findtext("usage") or "S").strip(),
        data_type=dtype,
        min_len=mn,
        max_len=mx,
        codes=codes,
        external=external,
        regex=regex.strip() if regex else None,
        repeat=_count(node.findtext("repeat")),
    )


def _segment(node: ET.Element) -> SegmentDef:
    elements: list[ElementDef | CompositeDef] = []
    for child in node:
        if child.tag == "element":
            elements.append(_element(child))
        elif child.tag == "composite":
            elements.append(
                CompositeDef(
                    seq=int(child.findtext("seq") or "0"),
                    ref=(child.findtext("data_ele") or "").strip(),
                    name=(child.findtext("name") or "").strip(),
                    usage=(child.findtext("usage") or "S").strip(),
                    components=[_element(e) for e in child.findall("element")],
                    repeat=_count(child.findtext("repeat")),
                )
            )
    return SegmentDef(
        id=node.get("xid", ""),
        name=(node.findtext("name") or "").strip(),
        usage=(node.findtext("usage") or "S").strip(),
        max_use=_count(node.findtext("max_use")),
        elements=elements,
        syntax=[(s.text or "").strip() for s in node.findall("syntax")],
        pos=(node.findtext("pos") or "").strip(),
    )


def _loop(node: ET.Element) -> LoopDef:
    loop = LoopDef(
        id=node.get("xid", ""),
        name=(node.findtext("name") or "").strip(),
        usage=(node.findtext("usage") or "S").strip(),
        repeat=_count(node.findtext("repeat")),
        wrapper=node.get("type") == "wrapper",
        pos=(node.findtext("pos") or "").strip(),
    )
    for child in node:
        if child.tag == "loop":
            loop.children.append(_loop(child))
        elif child.tag == "segment":
            loop.children.append(_segment(child))
    return loop


def load_map(filename: str) -> tuple[str, LoopDef]:
    """Parse one pyx12 map file; return (transaction name, the ST_LOOP as a LoopDef)."""
    root = ET.parse(os.path.join(map_dir(), filename)).getroot()
    name = (root.findtext("name") or "").strip()
    for node in root.iter("loop"):
        if node.get("xid") == "ST_LOOP":
            st_loop = _loop(node)
            st_loop.id = ""  # the set itself: header segments report no loop id
            return name, st_loop
    raise ValueError(f"no ST_LOOP in pyx12 map {filename}")


@functools.cache
def segment_dictionary() -> dict[str, SegmentDef]:
    """Standard element layout per segment id, gathered from every shipped map.

    Used by our own definitions (270/271, 276/277, 837D) as the X12 element layout
    (refs, composites) on which they set guide usages and code lists. 5010 maps win
    over 4010 maps; within a version the layout with the most elements wins.
    """
    # The ".v2" maps use another schema (attributes); the classic maps carry the same data.
    # Of the 4010 maps only those holding segments no 5010 map has are read (eligibility,
    # claim status, dental): the big 4010 837I/837P maps add nothing and cost time.
    wanted_4010 = {
        "270.4010.X092.A1.xml",
        "271.4010.X092.A1.xml",
        "276.4010.X093.A1.xml",
        "277.4010.X093.A1.xml",
        "837.4010.X097.A1.xml",
    }
    files = sorted(
        f
        for f in os.listdir(map_dir())
        if f.endswith(".xml")
        and f[0].isdigit()
        and ".v2." not in f
        and (".5010." in f or f in wanted_4010)
    )
    files.sort(key=lambda f: ".5010." in f)  # 4010 first, 5010 later overrides
    out: dict[str, SegmentDef] = {}
    for f in files:
        try:
            root = ET.parse(os.path.join(map_dir(), f)).getroot()
        except ET.ParseError:
            continue
        is5010 = ".5010." in f
        for node in root.iter("segment"):
            seg = _segment(node)
            prev = out.get(seg.id)
            if (
                prev is None
                or (is5010 and prev.pos != "5010")
                or (len(seg.elements) > len(prev.elements) and (is5010 or prev.pos != "5010"))
            ):
                seg.pos = "5010" if is5010 else "4010"
                out[seg.id] = seg
    return out
