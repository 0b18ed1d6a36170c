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
#   (pos0, usage, refdes, name, ref, tclass, min, max, codes, regex, repeat, all_codes, None,
#    min_repeat)
# Composite check tuple layout:
#   (pos0, usage, refdes, name, ref, -1, 0, 0, None, None, repeat, None, components, 0)
# where components is a tuple of simple-element tuples (pos0 = component index 0-based).
ElemCheck = tuple
# External code sets that change (place of service, remark codes, claim status codes 508):
# our dated lists judge them as SNIP type 5 (edi_platform.x12.codelists), not pyx12's old
# snapshot. The claim status categories (507) change rarely: the walker keeps checking them.
DATED_EXTERNALS = frozenset({"pos", "remark_code", "claim_status"})

UNBUILT: dict = {}  # CSeg.trans before its transitions are built (never written to)
NO_FAST: tuple = (None, None, None)  # a CSeg.fastp made for no delimiters yet


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
        "dates",
        "dense",
        "fastp",
        "group_req",
        "group_req_ids",
        "id",
        "index",
        "last_req",
        "loop",
        "max_pos",
        "max_use",
        "min_use",
        "name",
        "period",
        "pos",
        "qual",
        "quick",
        "report_id",
        "rule_role",
        "rules",
        "special",
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
        self.pos = d.pos  # segments sharing a position may come in any order
        self.group_req: tuple = ()  # required members of its same-position group
        self.group_req_ids: frozenset[int] = frozenset()  # their ids (the walker's test)
        self.checks: tuple[ElemCheck, ...] = ()
        self.syntax: tuple[tuple[str, tuple[int, ...]], ...] = ()
        self.qual: tuple[int, int, frozenset[str]] | None = None
        self.max_pos = 0
        self.dense = False  # checks[i] is position i: slice instead of testing each
        # ((cs, rs), segment pattern or None, clean texts); NO_FAST until first used
        self.fastp: tuple = NO_FAST
        self.dates: tuple[tuple[int, int], ...] = ()  # (pos0, tclass) of DT/TM elements
        self.rule_role = False  # trigger or target of a loop-level situational rule
        self.quick = None  # generated f(els, n) -> True when notes/dates/rules are clean
        self.special = False  # CTX source, "not used" segment or rule role: slow path
        self.last_req = -1  # highest 0-based position of a required element
        self.period: tuple[int, int] | None = None  # (format pos0, value pos0), e.g. DTP02/03
        self.trans: dict[str, tuple] = UNBUILT  # segment id -> transition, built when first met
        self.ctx_source: tuple[int, str] | None = None  # (element pos0, CTX name)
        self.rules: tuple = ()


class CompiledGuide:
    """A compiled guide: root loop, segment ids it uses, situational rules."""

    __slots__ = ("all_ids", "loop_by_id", "loop_rules", "qualifiers", "root", "rules", "st_node")

    def __init__(self, root: CLoop, all_ids: frozenset[str], st_node: CSeg) -> None:
        self.root = root
        self.all_ids = all_ids
        self.st_node = st_node
        self.rules: tuple = ()
        self.loop_rules: dict[str, list[SituationalRule]] = {}  # loop id -> its rules
        self.loop_by_id: dict[str, list[CLoop]] = {}
        # segment id -> every qualifier code some place of that segment takes
        self.qualifiers: dict[str, frozenset[str]] = {}


def _syntax(note: str) -> tuple[str, tuple[int, ...]] | None:
    note = note.strip()
    if len(note) < 3 or note[0] not in "PRCEL":
        return None
    digits = note[1:]
    if len(digits) % 2:
        return None
    return note[0], tuple(int(digits[i : i + 2]) - 1 for i in range(0, len(digits), 2))


def _syntax_code(kind: str, ps: tuple[int, ...], k: int) -> list[str]:
    """Python lines testing one syntax note (``return False`` when it does not hold)."""
    names = [f"p{k}_{i}" for i in range(len(ps))]
    out = [f"{nm} = {p} < n and els[{p}] != ''" for nm, p in zip(names, ps, strict=True)]
    first, rest = names[0], names[1:]
    if kind == "P":
        out.append(f"if ({' or '.join(names)}) and not ({' and '.join(names)}): return False")
    elif kind == "R":
        out.append(f"if not ({' or '.join(names)}): return False")
    elif kind == "E":
        out.append(f"if ({' + '.join(names)}) > 1: return False")
    elif kind == "C":
        out.append(f"if {first} and not ({' and '.join(rest)}): return False")
    else:  # L
        out.append(f"if {first} and not ({' or '.join(rest)}): return False")
    return out


def _quick_tests(seg: CSeg):
    """One generated function saying "nothing to report" for a segment's syntax notes,
    DTP-style period and situational element rules (one call per segment instead of one
    per note); the detailed report runs only when it returns False."""
    from .elements import valid_date, valid_period, valid_time

    body: list[str] = []
    for k, (kind, ps, _low) in enumerate(seg.syntax):
        body += _syntax_code(kind, ps, k)
    if seg.period is not None:
        fp, vp = seg.period
        body.append(
            f"if {vp} < n and {fp} < n and els[{vp}] and "
            f"not valid_period(els[{fp}], els[{vp}]): return False"
        )
    scope: dict = {"valid_period": valid_period}
    for k, rule in enumerate(seg.rules):
        cond, t0 = rule.when, rule.target - 1
        present = f"({t0} < n and els[{t0}] != '')"
        bad = f"not {present}" if rule.kind == "element_required" else present
        if cond is None:
            body.append(f"if {bad}: return False")
            continue
        if cond.component:
            body.append("return False")  # rare: let the detailed check decide
            continue
        c0 = cond.position - 1
        value = f"(els[{c0}] if {c0} < n else '')"
        if cond.values is None:
            hit = f"bool({value})"
        else:
            scope[f"values{k}"] = cond.values
            hit = f"({value} in values{k})"
        if cond.negate:
            hit = f"not {hit}"
        body.append(f"if {hit} and {bad}: return False")
    for p0, tclass in seg.dates:
        check = "valid_date" if tclass == 4 else "valid_time"
        body.append(f"if {p0} < n and els[{p0}] and not {check}(els[{p0}]): return False")
    scope["valid_date"], scope["valid_time"] = valid_date, valid_time
    if not body:
        return None
    src = "def quick(els, n):\n" + "".join(f"    {ln}\n" for ln in body) + "    return True\n"
    exec(compile(src, f"<checks {seg.id}>", "exec"), scope)  # our own generated code
    return scope["quick"]


def _simple_check(
    e: ElementDef, pos0: int, refdes: str, all_codes: dict[str, set[str]]
) -> ElemCheck:
    codes = e.codes
    if e.external and e.external not in DATED_EXTERNALS:
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
        e.min_repeat,
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
                (
                    pos0,
                    e.usage,
                    refdes,
                    e.name,
                    e.ref,
                    -1,
                    0,
                    0,
                    None,
                    None,
                    e.repeat,
                    None,
                    comps,
                    0,
                )
            )
        else:
            checks.append(_simple_check(e, pos0, refdes, all_codes))
    seg.checks = tuple(checks)
    seg.max_pos = max((c[0] + 1 for c in checks), default=0)
    seg.dense = all(c[0] == i for i, c in enumerate(checks))
    seg.dates = tuple((c[0], c[5]) for c in checks if c[5] in (4, 5) and c[1] != "N")
    seg.last_req = max((c[0] for c in checks if c[1] == "R"), default=-1)
    notes = (s for s in (_syntax(n) for n in d.syntax) if s is not None)
    # (kind, positions, lowest position): a note whose elements all lie past the end of
    # the segment can only fail when it is an R (at least one required) note.
    seg.syntax = tuple((kind, pos, min(pos)) for kind, pos in notes)
    if "1250" in refs and "1251" in refs:
        seg.period = (refs["1250"], refs["1251"])
    seg.qual = _qualifier(d)


def _qualifier(d: SegmentDef) -> tuple[int, int, frozenset[str]] | None:
    """The element whose code list tells this segment's places apart (our rule):
    XX01 when it is a required ID element with a code list; else the required first
    component of a composite XX01 with codes; else HL03 for HL."""
    by_seq = {e.seq: e for e in d.elements}
    first = by_seq.get(1)
    if isinstance(first, ElementDef):
        if first.data_type == "ID" and first.usage == "R" and first.codes:
            return (0, -1, first.codes)
    elif isinstance(first, CompositeDef) and first.components:
        c0 = min(first.components, key=lambda c: c.seq)
        if c0.codes and c0.usage == "R":  # ID, or AN with a code list (999 CTX01-1)
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
        # Only real groups (several segments at one position) keep their position tag.
        segs = [c for c in loop.children if isinstance(c, CSeg)]
        for seg in segs:
            group = [c for c in segs if c.pos and c.pos == seg.pos]
            if len(group) < 2:
                seg.pos = ""
            else:
                seg.group_req = tuple(c for c in group if c.usage == "R")
                seg.group_req_ids = frozenset(id(c) for c in seg.group_req)
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
    cg.rules = _compile_rules(g.rules, root)
    for rule in cg.rules:
        cg.loop_rules.setdefault(rule.loop, []).append(rule)
    quals: dict[str, set[str]] = {}
    for seg in _iter_segments(root):
        seg.special = seg.ctx_source is not None or seg.usage == "N" or seg.rule_role
        seg.quick = _quick_tests(seg)
        if seg.qual is not None:
            quals.setdefault(seg.id, set()).update(seg.qual[2])
    cg.qualifiers = {k: frozenset(v) for k, v in quals.items()}
    cg.loop_by_id = loops
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
                # Only where the guide leaves the element situational: a required or
                # not-used element is already judged by its usage.
                if not any(c[0] == r.target - 1 and c[1] == "S" for c in seg.checks):
                    continue
                if qual and not (seg.qual and qual in seg.qual[2]):
                    continue
                seg.rules = (*seg.rules, r)
        else:
            loop_rules.append(r)
            trig = r.trigger.partition("*")[0]
            tloop, _, tseg = r.segment.rpartition("/")
            tseg = tseg.partition("*")[0]
            for seg in _iter_segments(root):
                if (seg.id == trig and seg.report_id == r.loop) or (
                    seg.id == tseg and (not tloop or seg.report_id == tloop)
                ):
                    seg.rule_role = True
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
    if seg.trans is not UNBUILT:
        return seg.trans
    first: list[tuple] = []
    last: list[tuple] = []  # over-limit repeats: only when nothing else matches
    trigger = seg.index == 0 and not seg.loop.wrapper and seg.loop.parent is not None
    if not trigger:  # a loop's trigger segment again means the loop repeats (below)
        (first if seg.max_use > 1 else last).append((seg, seg.qual, 0, (), (), False))
    if seg.pos:
        # Segments at the same position (e.g. a group of qualified REFs) may be sent in any
        # order (X12.6 position rules), so the earlier ones stay reachable.
        for sib in seg.loop.children[: seg.index]:
            if isinstance(sib, CSeg) and sib.pos == seg.pos:
                first.append((sib, sib.qual, 0, (), (), False))
    missing: list = []
    loop = seg.loop
    start = seg.index
    pops = 0
    while True:
        for child in loop.children[start + 1 :]:
            if isinstance(child, CSeg):
                miss = tuple(missing)
                if child.pos:  # its group's members may follow it: checked when left
                    miss = tuple(
                        m
                        for m in miss
                        if not (isinstance(m, CSeg) and m.pos == child.pos and m.loop is loop)
                    )
                first.append((child, child.qual, pops, (), miss, False))
            else:
                for target, chain, miss in _entries(child):
                    first.append((target, target.qual, pops, chain, (*missing, *miss), False))
            if child.usage == "R" and not (
                pops == 0 and seg.pos and isinstance(child, CSeg) and child.pos == seg.pos
            ):
                # (a required segment sharing the current one's position may already
                # have been sent before it: same-position segments come in any order)
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
    lists: dict[str, list[tuple]] = {}
    for cand in first + last:
        lists.setdefault(cand[0].id, []).append(cand)
    table: dict[str, tuple] = {}
    for sid, cands in lists.items():
        table[sid] = _dispatch(cands)
    seg.trans = table
    return table


def _dispatch(cands: list[tuple]) -> tuple:
    """Turn an ordered candidate list into (p0, comp, {qualifier: cand}, default, cands).

    The first candidate whose qualifier code list holds the segment's qualifier value wins;
    a candidate without a qualifier takes anything (``default``) and hides those after it.
    p0 is -1 when candidates read their qualifier from different places (walk the list).
    """
    places = {c[1][:2] for c in cands if c[1] is not None}
    if len(places) > 1:
        return (-1, -1, None, None, cands)
    p0, comp = next(iter(places)) if places else (0, -1)
    mapping: dict[str, tuple] = {}
    default = None
    for c in cands:
        if c[1] is None:
            default = c
            break
        for code in c[1][2]:
            mapping.setdefault(code, c)
    return (p0, comp, mapping, default, cands)
