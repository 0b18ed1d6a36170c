"""Implementation-guide (IG) validation for X12 5010 transaction sets.

Public API::

    find_guide(st01, version, *, fallback="nearest") -> Guide | None
    validate_set(guide, segments, delimiters) -> list[SegmentIssue]
    available_guides() -> list[tuple[str, str]]
    preload(*, tables=False) -> list[Guide]

Guides: 834 X220A1, 835 X221A1, 837P X222A1, 837I X223A2, 277CA X214 and 999 X231A1 are
compiled from pyx12's XML maps (read as data from the installed package, see
:mod:`.pyx12_maps`); 270/271 X279A1, 276/277 X212 and 837D X224A2 are our own definitions
in :mod:`.definitions`. A guide is compiled once per process and cached; per-segment
transition tables and whole-segment patterns fill in lazily as segments are met.

Rules we apply (and test):

- Placement (IK304): a segment is looked up in the current node's transition table; the
  candidate whose qualifier matches wins. The qualifier is XX01 when it is a required ID
  element with codes, else the required first component of a composite XX01 with codes
  (ID, or AN as in the 999 CTX01-1), else HL03.
  When the qualifier is no qualifier of that segment anywhere in the guide, the first
  candidate is taken and the qualifier gets IK403 7 (or I6); when it qualifies another
  place of the guide, the segment is misplaced. Not placeable: 1 when the ID is not an X12
  segment, 6 when it is one but not in this guide, 7 when its place belongs to a loop that
  is open (wrong order), else 2.
  Skipped required segments/loops are 3, reported at the position where they were due;
  a loop's trigger beyond its repeat is 4, a segment beyond its max use 5. Segments the
  guide puts at one position (e.g. a group of qualified REFs) may come in any order.
- Severity (``SegmentIssue.rejects``): every X12 syntax code (IK304 1-8, IK403 1-13)
  rejects. Implementation codes reject when the guide's required data is missing or wrong
  (IK304 I6, I7, I8; IK403 I6, I9, I11, I12) and do not when data the guide marks "not
  used" is merely present (IK304 I4, I9; IK403 I10, I13): a receiver ignores such data, so
  the set is accepted with errors (IK5 E).
- IK403 I6: a value outside this place's code list that the same data element takes
  elsewhere in the guide (a valid X12 code the implementation does not use here); 7
  otherwise. I12: the guide's pattern fails. I10: a "not used" element is present.
- CTX (names from the X231A1 CTX01-1 business unit list): 837 (P/I/D) loop 2300 and
  below carry ``CLM01`` (claim id), 834 loop 2000 and below ``SUBSCRIBER NUMBER REF02``
  (REF*0F), 270/271 2000C/D, 276/277 2200D/E and 277CA 2200D ``TRN02``; the 835 has no
  business unit in that list, so none. Findings of situational rules carry a
  ``SITUATIONAL TRIGGER`` segment context pointing at the segment whose value triggered
  the rule (CTX01-2 not used).
- Versions: an undefined version (X222A2, X223A3) maps to the defined guide with the same
  ST01 and guide number (highest addenda not above it, else the lowest) with
  ``version_matched=False``, and its ST03 is accepted as that version. A 5010 version with
  another guide number or none (005010X291, a bare 005010) maps to the ST01's guide only
  when there is exactly one; for 837 and 277 there is no nearest guide then (IK502 I6).

Known gaps: only situational rules decidable from the data are enforced (N4 N402/N403 for
US/Canada addresses, NM1 NM104 for non-persons, 837 SBR02=18 -> 2010BA DMG required and
2000C not used); other "Required when..." notes leave the element/segment optional. HL
parent/child numbering and HL04 are not cross-checked. No shipped definition sets
minimum repeats or "not used" segments, so I4/I7/I8/I11 fire only for definitions that do.
External code lists are pyx12's codes.xml (states, countries, service types, claim status
categories); 277 STC01-2 is length-checked only. Of DTP-style periods only D8, RD8, D6,
DT and TM are verified. Values are accepted from the Latin-1 printable range (no basic vs
extended character set distinction). 271 LS/LE are situational (not forced around 2120x).
pyx12's 835 map marks ST03 "not used"; we treat it as situational (X221A1 requires it).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ..issues import SegmentIssue
from ..segments import Delimiters, Segment
from .compiler import CompiledGuide, compile_guide
from .model import GuideDef, LoopDef
from .walker import IK304_TEXT, IK403_TEXT, walk

__all__ = [
    "IK304_TEXT",
    "IK403_TEXT",
    "Guide",
    "available_guides",
    "find_guide",
    "preload",
    "validate_set",
]


@dataclass(frozen=True, slots=True)
class Guide:
    """A compiled implementation guide, as chosen for one transaction set."""

    st01: str
    version: str  # the defined guide version, e.g. "005010X222A1"
    name: str
    version_matched: bool = True  # False: the requested version was mapped to this one
    requested_version: str = ""
    compiled: CompiledGuide | None = field(default=None, repr=False, compare=False)


def _st03_situational(root: LoopDef) -> None:
    """pyx12's 835 map marks ST03 "not used"; X221A1, like every 5010 TR3, carries ST03 =
    GS08. We accept it when present (our own 835s always send it) and, leniently, do not
    require it, so the public 835s without ST03 keep their verdict."""
    st = root.children[0]
    for element in getattr(st, "elements", []):
        if getattr(element, "seq", 0) == 3 and element.usage == "N":
            element.usage = "S"


def _pyx12(
    st01: str,
    version: str,
    filename: str,
    contexts=None,
    patch: Callable[[LoopDef], None] | None = None,
) -> Callable[[], GuideDef]:
    def load() -> GuideDef:
        from .definitions.common import envelope_rules
        from .pyx12_maps import load_map

        name, root = load_map(filename)
        if patch is not None:
            patch(root)
        rules = envelope_rules()
        return GuideDef(
            st01=st01,
            version=version,
            name=name,
            root=root,
            contexts=dict(contexts or {}),
            rules=rules,
            source=f"pyx12 map {filename}",
        )

    return load


def _ours(module: str, attr: str) -> Callable[[], GuideDef]:
    def load() -> GuideDef:
        import importlib

        mod = importlib.import_module(f"{__name__}.definitions.{module}")
        return getattr(mod, attr)()

    return load


_CLAIM = {"2300": ("CLM", "", 1, "CLM01")}

# (ST01, version) -> loader of the declarative definition.
_REGISTRY: dict[tuple[str, str], Callable[[], GuideDef]] = {
    ("834", "005010X220A1"): _pyx12(
        "834",
        "005010X220A1",
        "834.5010.X220.A1.xml",
        {"2000": ("REF", "0F", 2, "SUBSCRIBER NUMBER REF02")},
    ),
    ("835", "005010X221A1"): _pyx12(
        "835", "005010X221A1", "835.5010.X221.A1.xml", patch=_st03_situational
    ),
    ("837", "005010X222A1"): _pyx12("837", "005010X222A1", "837.5010.X222.A1.xml", _CLAIM),
    ("837", "005010X223A2"): _pyx12("837", "005010X223A2", "837Q3.I.5010.X223.A1.xml", _CLAIM),
    ("277", "005010X214"): _pyx12(
        "277", "005010X214", "277.5010.X214.xml", {"2200D": ("TRN", "", 2, "TRN02")}
    ),
    ("999", "005010X231A1"): _pyx12("999", "005010X231A1", "999.5010X231.A1.xml"),
    ("837", "005010X224A2"): _ours("x224a2", "guide_837d"),
    ("270", "005010X279A1"): _ours("x279a1", "guide_270"),
    ("271", "005010X279A1"): _ours("x279a1", "guide_271"),
    ("276", "005010X212"): _ours("x212", "guide_276"),
    ("277", "005010X212"): _ours("x212", "guide_277"),
}

_cache: dict[tuple[str, str], Guide] = {}
_lock = threading.Lock()
_VERSION = re.compile(r"^(\d{6})(X\d{3})(A\d+)?$")


def available_guides() -> list[tuple[str, str]]:
    """The (ST01, version) pairs we have definitions for."""
    return sorted(_REGISTRY)


def _nearest(st01: str, version: str) -> str | None:
    """Nearest defined version for an undefined one: same ST01 and implementation guide
    number (X222 for X222A2); the closest addenda (highest defined at or below the
    requested one, else the lowest above it)."""
    version = version.strip()
    m = _VERSION.match(version)
    options = []
    if m:
        base = m.group(1) + m.group(2)
        want = int((m.group(3) or "A0")[1:])
        for s, v in _REGISTRY:
            vm = _VERSION.match(v)
            if s == st01 and vm and vm.group(1) + vm.group(2) == base:
                options.append((int((vm.group(3) or "A0")[1:]), v))
    if options:
        below = [o for o in options if o[0] <= want]
        return max(below)[1] if below else min(options)[1]
    # no guide of that number (005010X291) or no guide number at all (a bare 005010): a 5010
    # version of a type with a single guide maps to it; with several (837 P/I/D, 277 X212/
    # X214) nothing says which, so there is no nearest guide
    if version.startswith("005010"):
        only = [v for s, v in _REGISTRY if s == st01]
        if len(only) == 1:
            return only[0]
    return None


def _compiled(st01: str, version: str) -> Guide:
    key = (st01, version)
    guide = _cache.get(key)
    if guide is None:
        with _lock:
            guide = _cache.get(key)
            if guide is None:
                definition = _REGISTRY[key]()
                guide = Guide(
                    st01=st01,
                    version=version,
                    name=definition.name,
                    requested_version=version,
                    compiled=compile_guide(definition),
                )
                _cache[key] = guide
    return guide


def preload(*, tables: bool = False) -> list[Guide]:
    """Compile every defined guide now (e.g. at worker start) instead of on first use;
    with ``tables`` also build every segment node's transition table."""
    from .compiler import _iter_segments, transitions

    guides = [_compiled(st01, version) for st01, version in available_guides()]
    if tables:
        for guide in guides:
            assert guide.compiled is not None
            for node in _iter_segments(guide.compiled.root):
                transitions(node)
    return guides


def find_guide(st01: str, version: str, *, fallback: str = "nearest") -> Guide | None:
    """The guide for a transaction set (ST01, GS08/ST03 version), compiled and cached.

    ``fallback="nearest"``: a version seen in the wild but not defined (X222A2, X223A3)
    maps to the nearest definition for that ST01 and the returned guide has
    ``version_matched=False``; ``fallback="reject"``: only exact versions (None otherwise).
    None when no definition exists for the ST01/version.
    """
    st01 = (st01 or "").strip()
    version = (version or "").strip()
    if (st01, version) in _REGISTRY:
        return _compiled(st01, version)
    if fallback != "nearest":
        return None
    near = _nearest(st01, version)
    if near is None:
        return None
    base = _compiled(st01, near)
    return Guide(
        st01=base.st01,
        version=base.version,
        name=base.name,
        version_matched=False,
        requested_version=version,
        compiled=base.compiled,
    )


def validate_set(
    guide: Guide, segments: Iterable[Segment], delimiters: Delimiters
) -> list[SegmentIssue]:
    """Validate one transaction set (ST..SE inclusive, iterated once) against ``guide``.

    Returns IK3-shaped findings (with IK4s and CTXs) in input order; empty when clean.
    """
    if guide.compiled is None:
        raise ValueError("guide is not compiled")
    if not guide.version_matched:
        segments = _as_version(segments, guide.requested_version, guide.version)
    return walk(guide.compiled, segments, delimiters)


def _as_version(segments: Iterable[Segment], requested: str, defined: str) -> Iterable[Segment]:
    """Validate a set of an undefined version (X222A2) against the nearest definition:
    its ST03 carries the requested version, which the partner setting accepted."""
    it = iter(segments)
    for seg in it:
        if seg.id == "ST" and len(seg.elements) > 2 and seg.elements[2] == requested:
            els = list(seg.elements)
            els[2] = defined
            seg = Segment(seg.id, els, seg.line, seg.offset, seg.index)
        yield seg
        break
    yield from it
