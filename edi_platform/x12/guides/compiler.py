"""Compile a declarative :class:`~.model.GuideDef` into lookup tables for the walker.

Compiled form:
  - :class:`CLoop` / :class:`CSeg` nodes linked to their parents, with their index in the
    parent's children (guide order);
  - per segment node, its element checks as plain tuples and its syntax notes as tuples
    of 0-based positions;
  - per segment node, lazily on first use, a transition table ``segment id -> candidates``
    listing every place the next segment may match from here, in search order, each with
    the qualifier test, how many loop frames to leave, which loops to enter, which required
    segments/loops are skipped (reported as missing) and whether it repeats a loop.
    Everything a transition implies is static, so the walker only looks up and applies.
"""

from __future__ import annotations

import re

from .elements import type_class
from .model import CompositeDef, ElementDef, GuideDef, LoopDef, SegmentDef, SituationalRule
from .pyx12_maps import external_codes

# Element check tuple layout (simple element):
#   (pos0, usage, refdes, name, ref, tclass, min, max, codes, regex, repeat, all_codes, None)
# Composite check tuple layout:
#   (pos0, usage, refdes, name, ref, -1, 0, 0, None, None, repeat, None, components)
# where components is a tuple of simple-element tuples (pos0 = component index 0-based).
ElemCheck = tuple


class CLoop:
    """A compiled loop (or wrapper)."""

    __slots__ = (
        "children",
        "ctx",
        "id",
        "index",
        "min_repeat",
        "name",
        "parent",
        "repeat",
        "report_id",
        "usage",
        "wrapper",
    )

    def __init__(self, d: LoopDef, parent: CLoop | None, index: int) -> None:
        self.id = d.id
        self.name = d.name
        self.usage = d.usage
        self.repeat = d.repeat
        self.min_repeat = d.min_repeat
        self.wrapper = d.wrapper
        self.parent = parent
        self.index = index
        self.children: list[CLoop | CSeg] = []
        self.ctx: tuple[str, str, int, str] | None = None
        if d.wrapper or not d.id:
            self.report_id = parent.report_id if parent is not None else ""
        else:
            self.report_id = d.id

    def first_segment(self) -> CSeg:
        """The loop's trigger segment (first segment in guide order)."""
        child = self.children[0]
        return child if isinstance(child, CSeg) else child.first_segment()


class CSeg:
    """A compiled segment node."""

    __slots__ = (
        "checks",
        "ctx_source",
        "id",
        "index",
        "loop",
        "max_pos",
        "max_use",
        "min_use",
        "name",
        "period",
        "qual",
        "report_id",
        "rules",
        "syntax",
        "trans",
        "usage",
    )

    def __init__(self, d: SegmentDef, loop: CLoop, index: int) -> None:
        self.id = d.id
        self.name = d.name
        self.usage = d.usage
        self.max_use = d.max_use
        self.min_use = d.min_use
        self.loop = loop
        self.index = index
        self.report_id = loop.report_id
        self.checks: tuple[ElemCheck, ...] = ()
        self.syntax: tuple[tuple[str, tuple[int, ...]], ...] = ()
        self.qual: tuple[int, int, frozenset[str]] | None = None
        self.max_pos = 0
        self.period: tuple[int, int] | None = None  # (format pos0, value pos0), e.g. DTP02/03
        self.trans: dict[str, list[tuple]] | None = None
        self.ctx_source: tuple[int, str] | None = None  # (element pos0, CTX name)
        self.rules: tuple = ()


class CompiledGuide:
    """A compiled guide: root loop, segment ids it uses, situational rules."""

    __slots__ = ("all_ids", "loop_by_id", "root", "rules", "st_node")

    def __init__(self, root: CLoop, all_ids: frozenset[str], st_node: CSeg) -> None:
        self.root = root
        self.all_ids = all_ids
        self.st_node = st_node
        self.rules: tuple = ()
        self.loop_by_id: dict[str, list[CLoop]] = {}


def _syntax(note: str) -> tuple[str, tuple[int, ...]] | None:
    note = note.strip()
    if len(note) < 3 or note[0] not in "PRCEL":
        return None
    digits = note[1:]
    if len(digits) % 2:
        return None
    return note[0], tuple(int(digits[i : i + 2]) - 1 for i in range(0, len(digits), 2))


def _simple_check(
    e: ElementDef, pos0: int, refdes: str, all_codes: dict[str, set[str]]
) -> ElemCheck:
    codes = e.codes
    if e.external:
        ext = external_codes().get(e.external)
        if ext is not None:
            codes = ext | codes if codes else ext
    regex = re.compile(e.regex) if e.regex else None
    union = all_codes.get(e.ref)
    return (
        pos0,
        e.usage,
        refdes,
        e.name,
        e.ref,
        type_class(e.data_type),
        e.min_len,
        e.max_len,
        frozenset(codes) if codes is not None else None,
        regex,
        e.repeat,
        frozenset(union) if union else None,
        None,
    )


def _compile_segment(seg: CSeg, d: SegmentDef, all_codes: dict[str, set[str]]) -> None:
    checks: list[ElemCheck] = []
    refs: dict[str, int] = {}
    for e in sorted(d.elements, key=lambda x: x.seq):
        pos0 = e.seq - 1
        refdes = f"{d.id}{e.seq:02d}"
        refs[e.ref] = pos0
        if isinstance(e, CompositeDef):
            comps = tuple(
                _simple_check(c, c.seq - 1, f"{refdes}-{c.seq:02d}", all_codes)
                for c in sorted(e.components, key=lambda x: x.seq)
            )
            checks.append(
                (pos0, e.usage, refdes, e.name, e.ref, -1, 0, 0, None, None, e.repeat, None, comps)
            )
        else:
            checks.append(_simple_check(e, pos0, refdes, all_codes))
    seg.checks = tuple(checks)
    seg.max_pos = max((c[0] + 1 for c in checks), default=0)
    seg.syntax = tuple(s for s in (_syntax(n) for n in d.syntax) if s is not None)
    if "1250" in refs and "1251" in refs:
        seg.period = (refs["1250"], refs["1251"])
    seg.qual = _qualifier(d)


def _qualifier(d: SegmentDef) -> tuple[int, int, frozenset[str]] | None:
    """The element whose code list tells this segment's places apart (our rule):
    XX01 when it is a required ID element with a code list; else the first component of
    a composite XX01 with codes; else HL03 for HL."""
    by_seq = {e.seq: e for e in d.elements}
    first = by_seq.get(1)
    if isinstance(first, ElementDef):
        if first.data_type == "ID" and first.usage == "R" and first.codes:
            return (0, -1, first.codes)
    elif isinstance(first, CompositeDef) and first.components:
        c0 = min(first.components, key=lambda c: c.seq)
        if c0.data_type == "ID" and c0.codes:
            return (0, 0, c0.codes)
    if d.id == "HL":
        third = by_seq.get(3)
        if isinstance(third, ElementDef) and third.codes:
            return (2, -1, third.codes)
    return None


def _gather_codes(node: LoopDef | SegmentDef, out: dict[str, set[str]]) -> None:
    if isinstance(node, LoopDef):
        for child in node.children:
            _gather_codes(child, out)
        return
    for e in node.elements:
        parts = e.components if isinstance(e, CompositeDef) else [e]
        for p in parts:
            if p.codes and p.data_type == "ID":
                out.setdefault(p.ref, set()).update(p.codes)


def compile_guide(g: GuideDef) -> CompiledGuide:
    """Compile a guide definition into linked nodes (transition tables are built lazily)."""
    all_codes: dict[str, set[str]] = {}
    _gather_codes(g.root, all_codes)
    ids: set[str] = set()
    loops: dict[str, list[CLoop]] = {}

    def build(d: LoopDef, parent: CLoop | None, index: int) -> CLoop:
        loop = CLoop(d, parent, index)
        if d.id:
            loops.setdefault(d.id, []).append(loop)
        if d.id in g.contexts:
            loop.ctx = g.contexts[d.id]
        for i, child in enumerate(d.children):
            if isinstance(child, LoopDef):
                loop.children.append(build(child, loop, i))
            else:
                seg = CSeg(child, loop, i)
                _compile_segment(seg, child, all_codes)
                ids.add(child.id)
                loop.children.append(seg)
        return loop

    root = build(g.root, None, 0)
    # Business context sources: the loop's named segment (and qualifier) carries CTX value.
    for loop_list in loops.values():
        for loop in loop_list:
            if loop.ctx is None:
                continue
            seg_id, qual, pos, name = loop.ctx
            for child in loop.children:
                if (
                    isinstance(child, CSeg)
                    and child.id == seg_id
                    and (not qual or (child.qual and qual in child.qual[2]))
                ):
                    child.ctx_source = (pos - 1, name)
    st = root.children[0]
    if not isinstance(st, CSeg) or st.id != "ST":
        raise ValueError(f"guide {g.version} does not start with ST")
    cg = CompiledGuide(root, frozenset(ids), st)
    cg.loop_by_id = loops
    cg.rules = _compile_rules(g.rules, root)
    return cg


def _compile_rules(rules: list[SituationalRule], root: CLoop) -> tuple:
    """Attach element rules to the segment nodes they concern; return loop rules."""
    loop_rules = []
    for r in rules:
        if r.kind.startswith("element_"):
            seg_id, _, qual = r.segment.partition("*")
            for seg in _iter_segments(root):
                if seg.id != seg_id or (r.loop and seg.report_id != r.loop):
                    continue
                if qual and not (seg.qual and qual in seg.qual[2]):
                    continue
                seg.rules = (*seg.rules, r)
        else:
            loop_rules.append(r)
    return tuple(loop_rules)


def _iter_segments(loop: CLoop):
    for child in loop.children:
        if isinstance(child, CSeg):
            yield child
        else:
            yield from _iter_segments(child)


# --------------------------------------------------------------------------- transitions
# Candidate tuple: (target CSeg, qual, pops, pushes, missing, repeats_loop)


def _entries(loop: CLoop) -> list[tuple[CSeg, tuple[CLoop, ...], tuple]]:
    """Ways to enter ``loop``: (trigger segment, loops entered outermost first, skipped)."""
    out = []
    if not loop.wrapper:
        child = loop.children[0]
        if isinstance(child, CSeg):
            return [(child, (loop,), ())]
        return [(t, (loop, *chain), miss) for t, chain, miss in _entries(child)]
    # A wrapper (HEADER/DETAIL/FOOTER) is transparent: any of its children may start it,
    # the required ones skipped on the way being reported missing.
    skipped: list = []
    for child in loop.children:
        if isinstance(child, CSeg):
            out.append((child, (loop,), tuple(skipped)))
        else:
            out.extend((t, (loop, *chain), (*skipped, *miss)) for t, chain, miss in _entries(child))
        if child.usage == "R":
            skipped.append(child)
    return out


def transitions(seg: CSeg) -> dict[str, list[tuple]]:
    """Build (once) the table of places the segment after ``seg`` may match."""
    if seg.trans is not None:
        return seg.trans
    first: list[tuple] = []
    last: list[tuple] = []  # over-limit repeats: only when nothing else matches
    (first if seg.max_use > 1 else last).append((seg, seg.qual, 0, (), (), False))
    missing: list = []
    loop = seg.loop
    start = seg.index
    pops = 0
    while True:
        for child in loop.children[start + 1 :]:
            if isinstance(child, CSeg):
                first.append((child, child.qual, pops, (), tuple(missing), False))
            else:
                for target, chain, miss in _entries(child):
                    first.append((target, target.qual, pops, chain, (*missing, *miss), False))
            if child.usage == "R":
                missing.append(child)
        if loop.parent is None:
            break
        if not loop.wrapper:
            bucket = first if loop.repeat > 1 else last
            for target, chain, miss in _entries(loop):
                bucket.append((target, target.qual, pops + 1, chain, (*missing, *miss), True))
        start = loop.index
        loop = loop.parent
        pops += 1
    table: dict[str, list[tuple]] = {}
    for cand in first + last:
        table.setdefault(cand[0].id, []).append(cand)
    seg.trans = table
    return table
