"""The guide walker: a state machine over a compiled guide's transition tables.

State: the segment node last matched, how many times in a row it matched, and a stack of
open loop frames ``[loop, repeat count, business context, pending situational rules]``.
Each incoming segment is looked up in the current node's transition table (segment id ->
candidates in search order); the first candidate whose qualifier code matches wins. When
only the qualifier is wrong, the first candidate is taken anyway so the segment is judged
by its elements (IK403 7/I6 on the qualifier) instead of cascading "not found" errors.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import chain

from ..issues import Context, ElementIssue, SegmentIssue
from ..segments import Delimiters, Segment
from .compiler import UNBUILT, CLoop, CompiledGuide, CSeg, transitions
from .element_checks import (
    check_elements,
    elem_label,
    holds,
    rejects_elements,
    segment_matches,
)
from .elements import T_AN
from .fast_path import JOIN, fast_matcher
from .segment_ids import KNOWN_SEGMENT_IDS
from .texts import IK304_TEXT, IK403_TEXT

# Severity rule (documented in the package docstring): every X12 syntax code rejects; of
# the implementation codes, those saying required-by-the-guide data is missing or wrong
# (I6, I7, I8, I11, I12, I6 code value, I9 missing element) reject, while those saying
# data the guide marks "not used" is present (segment I4/I9, element I10/I13) do not:
# the receiver can ignore such data, so the set is accepted with errors.
_DKEYS: dict[tuple[str, str], tuple[str, str]] = {}
SPACE_JOIN = " " + JOIN
NON_REJECTING_IK304 = frozenset({"I4", "I9"})
# Segment texts found clean are remembered per guide place (a pure check: the same text at
# the same place is always clean); bounded, as most texts of a file do not repeat.
CLEAN_MEMO = 512


# (delimiters, their walk parameters) of the last walk, replaced whole (thread-safe); the
# reference keeps the object alive, so an identity match is never a recycled address
_last_delimiters: tuple = (None, None)


def _walk_delimiters(delimiters: Delimiters) -> tuple[str, str, tuple[str, str]]:
    """(component separator, repetition separator, interned key of the two) for a walk; the
    sets of an interchange share one Delimiters object, so this is worked out once."""
    global _last_delimiters
    last = _last_delimiters
    if last[0] is delimiters:
        return last[1]
    cs = delimiters.component or "\x00"
    rep = delimiters.repetition
    rs = rep if rep and not rep.isalnum() and rep != " " else "\x00"
    params = (cs, rs, _DKEYS.setdefault((cs, rs), (cs, rs)))  # interned: identity test
    _last_delimiters = (delimiters, params)
    return params


class _Walk:
    """One transaction set's walk; kept as a class so the hot loop has few attribute loads."""

    def __init__(self, cg: CompiledGuide, delimiters: Delimiters) -> None:
        self.cg = cg
        self.cs, self.rs, self.dkey = _walk_delimiters(delimiters)
        self.issues: list[SegmentIssue] = []

    def run(self, segments: Iterable[Segment]) -> list[SegmentIssue]:
        cg = self.cg
        cs, rs = self.cs, self.rs
        dkey = self.dkey
        issues = self.issues
        cur: CSeg = cg.st_node
        frames: list[list] = [[cg.root, 1, None, None]]
        count = 0
        has_rules = bool(cg.rules)
        loop_rules = cg.loop_rules
        join = JOIN.join
        # the first segment (the ST) is checked against the ST node before the loop
        it = iter(segments)
        seg: Segment | None = next(it, None)
        last_seg = seg
        if seg is not None:
            if seg.id == "ST":
                count = 1
                if not self._clean(cur, seg.elements, dkey):
                    self._elements(cur, seg, frames)
            else:
                it = chain((seg,), it)
        # the same-position group being sent (its required members are checked when left)
        grp_frame: list | None = None
        grp_pos = ""
        grp_req: tuple = ()
        grp_ids: frozenset[int] = frozenset()  # (a subset test in C: usually all were sent)
        grp_seen: set[int] = set()
        for seg in it:  # (after the loop, seg is the last segment)
            sid = seg.id
            els = seg.elements
            try:  # (a missing key raises: rare, and a raise costs only then)
                entry = cur.trans[sid]
            except KeyError:
                entry = transitions(cur).get(sid) if cur.trans is UNBUILT else None
                if entry is None:
                    self._not_found(seg, frames)
                    continue
            p0, comp, mapping, chosen, cands = entry
            if mapping is not None:
                try:  # (p0 >= 0 here; an absent qualifier is rare, a raise costs only then)
                    v = els[p0]
                except IndexError:
                    v = ""
                if comp >= 0:
                    if rs in v:  # a repeated composite (999 CTX01): its first repetition
                        v = v.split(rs, 1)[0]
                    if cs in v:
                        v = v.split(cs, 1)[0]
                chosen = mapping.get(v, chosen)
            else:
                chosen, v = _first_match(cands, els, cs)
            if chosen is None:
                if v in cg.qualifiers.get(sid, ()):
                    # a qualifier of this segment elsewhere in the guide: misplaced
                    self._not_found(seg, frames, v)
                    continue
                # an invalid qualifier: judge the segment where it can go (IK403 7)
                chosen = cands[0]
            target, _q, pops, pushes, missing, repeats = chosen
            if missing:
                self._missing(missing, seg, frames, pops)
            if pops or pushes:
                if cur.min_use and count < cur.min_use:
                    self._issue(cur.id, seg, cur.report_id, "I8", frames, cur=cur)
                n_rep = 1  # the first pushed loop's repeat count
                while pops:  # (no range/enumerate objects: this runs for most segments)
                    pops -= 1
                    frame = frames.pop()
                    if frame[3]:
                        self._close_rules(frame, seg)
                    if repeats and not pops:
                        n_rep = frame[1] + 1
                    else:
                        loop = frame[0]
                        if loop.min_repeat and frame[1] < loop.min_repeat:
                            self._issue(loop.first_segment().id, seg, loop.report_id, "I7", frames)
                parent_ctx = frames[-1][2]
                for loop in pushes:
                    frames.append([loop, n_rep, parent_ctx, None])
                    if n_rep > loop.repeat:
                        self._issue(sid, seg, loop.report_id, "4", frames)
                    n_rep = 1
                count = 1
            elif target is cur:
                count += 1
                if count > cur.max_use:
                    self._issue(sid, seg, cur.report_id, "5", frames, cur=cur)
            else:
                if cur.min_use and count < cur.min_use:
                    self._issue(cur.id, seg, cur.report_id, "I8", frames, cur=cur)
                count = 1
            cur = target
            if target.pos or grp_frame is not None:
                if target.pos and grp_frame is frames[-1] and grp_pos == target.pos:
                    grp_seen.add(id(target))
                else:
                    if grp_req and not grp_ids <= grp_seen:
                        self._group_left(grp_req, grp_seen, seg, frames)
                    if target.pos:
                        grp_frame, grp_pos, grp_req = frames[-1], target.pos, target.group_req
                        grp_ids = target.group_req_ids
                        grp_seen = {id(target)}
                    else:
                        grp_frame, grp_pos, grp_req = None, "", ()
            if target.special:
                if target.ctx_source is not None:
                    p0, name = target.ctx_source
                    if p0 < len(els) and els[p0]:
                        # (name, raw value): the Context is built only for a finding
                        frames[-1][2] = (name, els[p0])
                if target.usage == "N":
                    self._issue(sid, seg, target.report_id, "I4", frames, cur=target)
                if has_rules and target.rule_role:
                    self._rules(target, seg, frames, loop_rules)
            # Element checks: a segment text already found clean at this place passes
            # (memo, bounded); else the whole-segment pattern accepts the common clean
            # segment in one match; anything else gets the detailed per-element checks.
            fp = target.fastp
            if fp[0] is not dkey:
                fp = target.fastp = (dkey, fast_matcher(target, cs, rs), set())
            pat = fp[1]
            if pat is not None:
                joined = join(els)
                if joined in fp[2]:
                    continue
                if (
                    pat.fullmatch(joined)
                    and SPACE_JOIN not in joined
                    and joined[-1:] != " "
                    and len(els) <= target.max_pos
                ):
                    quick = target.quick
                    if quick is None or quick(els, len(els)):
                        if len(fp[2]) < CLEAN_MEMO:
                            fp[2].add(joined)
                        continue
            self._elements(target, seg, frames)
        last_seg = seg
        if grp_req and last_seg is not None:
            self._group_left(grp_req, grp_seen, last_seg, frames)
        # End of the set: required segments still owed before SE (SE itself is the
        # envelope check's business: IK5 2/3/4).
        if last_seg is not None and cur.id != "SE":
            se = (cur.trans or transitions(cur)).get("SE")
            if se:
                first = se[4][0]
                self._missing(first[4], last_seg, frames, first[2])
        if last_seg is not None and has_rules:  # (pending rules exist only with rules)
            for frame in reversed(frames):
                if frame[3]:
                    self._close_rules(frame, last_seg)
        return issues

    # ------------------------------------------------------------------ helpers
    def _clean(self, node: CSeg, els: list[str], dkey: tuple[str, str]) -> bool:
        """The fast path of the loop above, for a single segment (ST)."""
        fp = node.fastp
        if fp[0] is not dkey:
            fp = node.fastp = (dkey, fast_matcher(node, self.cs, self.rs), set())
        if fp[1] is None:
            return False
        joined = JOIN.join(els)
        if (
            not fp[1].fullmatch(joined)
            or SPACE_JOIN in joined
            or joined[-1:] == " "
            or len(els) > node.max_pos
        ):
            return False
        return node.quick is None or node.quick(els, len(els))

    def _context(self, frames: list[list]) -> Context | None:
        """The business context of the innermost loop (CTX), from its (name, raw value)."""
        ctx = frames[-1][2]
        if ctx is None:
            return None
        return Context(name=ctx[0], reference=ctx[1].split(self.cs, 1)[0])

    def _elements(self, node: CSeg, seg: Segment, frames: list[list]) -> None:
        errs = check_elements(node, seg.elements, self.cs, self.rs)
        if errs:
            self._report_elements(node, seg, frames, errs)

    def _report_elements(
        self, node: CSeg, seg: Segment, frames: list[list], errs: list[ElementIssue]
    ) -> None:
        if errs:
            what = "; ".join(
                f"{elem_label(e, node.id)}: {IK403_TEXT.get(e.code, e.code)} (IK403 {e.code})"
                for e in errs
            )
            ctx = self._context(frames)
            self.issues.append(
                SegmentIssue(
                    segment_id=node.id,
                    position=seg.index,
                    loop_id=node.report_id or None,
                    code="8",
                    line=seg.line,
                    elements=errs,
                    contexts=[ctx] if ctx is not None else [],
                    rejects=rejects_elements(errs),
                    message=f'Segment "{node.name}" ({node.id}) has data element errors: {what}',
                )
            )

    def _issue(
        self,
        seg_id: str,
        seg: Segment,
        loop_id: str,
        code: str,
        frames: list[list],
        cur: CSeg | None = None,
        message: str = "",
        contexts: list[Context] | None = None,
    ) -> None:
        ctx = self._context(frames) if frames else None
        if contexts is None:
            contexts = [ctx] if ctx is not None else []
        if not message:
            label = f'"{cur.name}" ({seg_id})' if cur is not None else seg_id
            message = f"Segment {label}: {IK304_TEXT[code]} (IK304 {code})"
            if loop_id:
                message += f" in loop {loop_id}"
        self.issues.append(
            SegmentIssue(
                segment_id=seg_id,
                position=seg.index,
                loop_id=loop_id or None,
                code=code,
                line=seg.line,
                contexts=contexts,
                rejects=code not in NON_REJECTING_IK304,
                message=message,
            )
        )

    def _missing(self, missing: tuple, seg: Segment, frames: list[list], pops: int) -> None:
        for node in missing:
            first = node if isinstance(node, CSeg) else node.first_segment()
            what = (
                f'Required segment "{first.name}" ({first.id})'
                if isinstance(node, CSeg)
                else f'Required loop {node.report_id or node.name} ("{first.name}", {first.id})'
            )
            loop_id = first.report_id if isinstance(node, CSeg) else node.report_id
            self._issue(
                first.id,
                seg,
                loop_id,
                "3",
                frames,
                message=f"{what} is missing before this position (IK304 3)",
            )

    def _group_left(self, required: tuple, seen: set[int], seg: Segment, frames) -> None:
        missing = tuple(node for node in required if id(node) not in seen)
        if missing:
            self._missing(missing, seg, frames, 0)

    def _not_found(self, seg: Segment, frames: list[list], qualifier: str | None = None) -> None:
        sid = seg.id
        loop_id = frames[-1][0].report_id
        if sid in self.cg.all_ids:
            code = "2"
            open_loops = {id(f[0]) for f in frames}
            if qualifier is not None:
                # 7 when that qualified place belongs to an open loop (or starts one of its
                # child loops): the segment came out of order; else it is unexpected here
                for node in _segments_of(self.cg.root, sid):
                    if node.qual is None or qualifier not in node.qual[2]:
                        continue
                    owner = node.loop.parent if node.index == 0 else node.loop
                    while owner is not None and owner.wrapper:
                        owner = owner.parent
                    if owner is not None and (
                        id(owner) in open_loops or id(node.loop) in open_loops
                    ):
                        code = "7"
                        break
            else:
                for frame in frames:
                    if any(isinstance(c, CSeg) and c.id == sid for c in _flat(frame[0])):
                        code = "7"
                        break
        elif sid in KNOWN_SEGMENT_IDS:
            code = "6"
        else:
            code = "1"
        self._issue(sid, seg, loop_id, code, frames)

    def _rules(self, node: CSeg, seg: Segment, frames: list[list], loop_rules) -> None:
        els = seg.elements
        # Triggers open pending rules on the frame of the rule's loop.
        for frame in frames:
            rules = loop_rules.get(frame[0].id)
            if not rules:
                continue
            for r in rules:
                if (
                    node.report_id == r.loop
                    and segment_matches(r.trigger, node, els)
                    and holds(r.when, els, self.cs)
                ):
                    if frame[3] is None:
                        frame[3] = {}
                    frame[3][id(r)] = [r, seg, node, False]
        for frame in frames:
            pend = frame[3]
            if not pend:
                continue
            for entry in pend.values():
                r = entry[0]
                if entry[1] is seg or not segment_matches(r.segment, node, els):
                    continue
                entry[3] = True
                if r.kind == "segment_not_used":
                    self._issue(
                        node.id,
                        seg,
                        node.report_id,
                        "I9",
                        frames,
                        cur=node,
                        contexts=[_trigger_ctx(entry)],
                    )

    def _close_rules(self, frame: list, seg: Segment) -> None:
        for r, tseg, tnode, seen in frame[3].values():
            if r.kind == "segment_required" and not seen:
                sid = r.segment.rpartition("/")[2].partition("*")[0]
                self.issues.append(
                    SegmentIssue(
                        segment_id=sid,
                        position=seg.index,
                        loop_id=r.loop or None,
                        code="I6",
                        line=seg.line,
                        contexts=[_trigger_ctx([r, tseg, tnode, seen])],
                        rejects=True,
                        message=(
                            f"Segment {r.segment}: {IK304_TEXT['I6']} (IK304 I6); {r.note}".rstrip(
                                "; "
                            )
                        ),
                    )
                )


def _trigger_ctx(entry: list) -> Context:
    r, tseg, tnode = entry[0], entry[1], entry[2]
    return Context(
        name="SITUATIONAL TRIGGER",
        segment_id=tnode.id,
        position=tseg.index,
        loop_id=tnode.report_id or None,
        element_position=r.when.position if r.when else None,
    )


def _first_match(cands: list[tuple], els: list[str], cs: str) -> tuple[tuple | None, str]:
    """First candidate whose qualifier matches (candidates reading different elements);
    (None, last value read) when none does."""
    v = ""
    for cand in cands:
        q = cand[1]
        if q is None:
            return cand, v
        p0 = q[0]
        v = els[p0] if p0 < len(els) else ""
        if q[1] >= 0 and cs in v:
            v = v.split(cs, 1)[0]
        if v in q[2]:
            return cand, v
    return None, v


def _segments_of(loop: CLoop, sid: str):
    for child in loop.children:
        if isinstance(child, CSeg):
            if child.id == sid:
                yield child
        else:
            yield from _segments_of(child, sid)


def _flat(loop: CLoop):
    for child in loop.children:
        if isinstance(child, CSeg):
            yield child
        elif child.wrapper:
            yield from _flat(child)


def walk(cg: CompiledGuide, segments: Iterable[Segment], delimiters: Delimiters):
    """Validate one transaction set (ST..SE) against a compiled guide."""
    return _Walk(cg, delimiters).run(segments)


__all__ = ["IK304_TEXT", "IK403_TEXT", "T_AN", "check_elements", "walk"]
