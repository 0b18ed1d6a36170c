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
from .compiler import JOIN, UNBUILT, CLoop, CompiledGuide, CSeg, fast_matcher, transitions
from .elements import (
    T_AN,
    T_DT,
    T_ID,
    T_N,
    T_R,
    T_TM,
    _date_cache,
    valid_date,
    valid_period,
    valid_time,
    value_errors,
)
from .model import Condition
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
NON_REJECTING_IK403 = frozenset({"I10", "I13"})
# Segment texts found clean are remembered per guide place (a pure check: the same text at
# the same place is always clean); bounded, as most texts of a file do not repeat.
CLEAN_MEMO = 512


def _elem_issue(chk: tuple, code: str, value: str | None, comp: int | None, rep: int | None):
    ref, name = chk[4] or None, chk[3]
    if chk[5] < 0 and code == "1" and comp is None:
        # a required composite is missing: its first required component is the data element
        # missing (IK402 is a numeric data element number; C004 is not one)
        first = next((c for c in chk[12] if c[1] == "R"), None)
        if first is not None:
            comp, ref, name = first[0] + 1, first[4] or None, first[3]
    return ElementIssue(chk[0] + 1, code, comp, rep, ref, value, name)


def _check_value(chk, v, out, comp, rep, all_els_issue_pos):
    """Validate one non-empty simple value against a simple-element check tuple."""
    for code in value_errors(v, chk[5], chk[6], chk[7], chk[8], chk[9], chk[11]):
        out.append(
            ElementIssue(
                position=all_els_issue_pos,
                code=code,
                component=comp,
                repetition=rep,
                reference=chk[4] or None,
                bad_value=v,
                name=chk[3],
            )
        )


def _simple_ok(chk: tuple, v: str) -> bool:
    """Fast acceptance test for a non-empty simple value (False: run the full checks)."""
    tclass = chk[5]
    ln = len(v)
    if tclass <= T_ID:
        return (
            chk[6] <= ln <= chk[7]
            and v[-1] != " "
            and (chk[8] is None or v in chk[8])
            and chk[9] is None
            and v.isprintable()
        )
    if tclass == T_N:
        return chk[6] <= ln <= chk[7] and v.isdigit() and v.isascii()
    if tclass == T_R:
        if v.isdigit():
            return chk[6] <= ln <= chk[7] and v.isascii()
        w = v.replace(".", "", 1)
        return w.isdigit() and chk[6] <= ln - 1 <= chk[7] and w.isascii()
    if tclass == T_DT:
        return chk[6] <= ln <= chk[7] and (_date_cache.get(v) or valid_date(v))
    if tclass == T_TM:
        return chk[6] <= ln <= chk[7] and valid_time(v)
    return chk[6] <= ln <= chk[7]


def check_elements(seg: CSeg, els: list[str], cs: str, rs: str) -> list[ElementIssue] | None:
    """All IK4 findings for one matched segment (None when clean: the common case)."""
    out: list[ElementIssue] | None = None
    n = len(els)
    if seg.dense:
        checks = seg.checks[:n]
        if seg.last_req >= n:
            for chk in seg.checks[n:]:
                if chk[1] == "R":
                    if out is None:
                        out = []
                    out.append(_elem_issue(chk, "1", None, None, None))
    else:
        checks = seg.checks
    for chk in checks:
        p0 = chk[0]
        v = els[p0] if p0 < n else ""
        if not v:
            if chk[1] == "R":
                if out is None:
                    out = []
                out.append(_elem_issue(chk, "1", None, None, None))
            continue
        usage = chk[1]
        tclass = chk[5]
        if usage != "N" and rs not in v and chk[13] < 2:
            # Fast paths: plain values passing their checks inline (the common case).
            if tclass >= 0:
                if cs not in v:
                    ln = len(v)
                    if tclass <= T_ID:
                        if (
                            chk[6] <= ln <= chk[7]
                            and v[-1] != " "
                            and (chk[8] is None or v in chk[8])
                            and chk[9] is None
                            and v.isprintable()
                        ):
                            continue
                    elif _simple_ok(chk, v):
                        continue
            else:
                comps = chk[12]
                parts = v.split(cs)
                if len(parts) <= len(comps):
                    np_ = len(parts)
                    for cchk in comps:
                        c0 = cchk[0]
                        cv = parts[c0] if c0 < np_ else ""
                        if cv:
                            if cchk[1] == "N" or not _simple_ok(cchk, cv):
                                break
                        elif cchk[1] == "R":
                            break
                    else:
                        continue
            if tclass >= 0 and cs not in v:
                if out is None:
                    out = []
                _check_value(chk, v, out, None, None, p0 + 1)
                continue
        if out is None:
            out = []
        if usage == "N":
            out.append(_elem_issue(chk, "I10", v, None, None))
            continue
        reps = v.split(rs) if rs in v else [v]
        if len(reps) > chk[10]:
            out.append(_elem_issue(chk, "12", v, None, None))
            reps = reps[: chk[10]]
        elif chk[13] > 1 and sum(1 for r in reps if r) < chk[13]:
            out.append(_elem_issue(chk, "I11", v, None, None))
        multi = chk[10] > 1
        for ri, rv in enumerate(reps, 1):
            rep_no = ri if multi else None
            if not rv:
                continue
            if tclass >= 0:
                if cs in rv:
                    out.append(_elem_issue(chk, "13", rv, None, rep_no))
                    rv = rv.split(cs, 1)[0]
                    if not rv:
                        continue
                _check_value(chk, rv, out, None, rep_no, p0 + 1)
                continue
            comps = chk[12]
            parts = rv.split(cs)
            if len(parts) > len(comps) and any(parts[len(comps) :]):
                out.append(_elem_issue(chk, "13", rv, len(comps) + 1, rep_no))
            np_ = len(parts)
            for cchk in comps:
                c0 = cchk[0]
                cv = parts[c0] if c0 < np_ else ""
                if not cv:
                    if cchk[1] == "R":
                        out.append(_elem_issue(chk, "1", None, c0 + 1, rep_no))
                        out[-1].reference = cchk[4] or None
                        out[-1].name = cchk[3]
                    continue
                if cchk[1] == "N":
                    issue = _elem_issue(chk, "I10", cv, c0 + 1, rep_no)
                    issue.reference, issue.name = cchk[4] or None, cchk[3]
                    out.append(issue)
                    continue
                _check_value(cchk, cv, out, c0 + 1, rep_no, p0 + 1)
    return _cross_checks(seg, els, cs, out)


def _cross_checks(
    seg: CSeg, els: list[str], cs: str, out: list[ElementIssue] | None
) -> list[ElementIssue] | None:
    """Checks across elements: extra elements, syntax notes, DTP periods, element rules."""
    n = len(els)
    if n > seg.max_pos:
        for i in range(seg.max_pos, n):
            if els[i]:
                if out is None:
                    out = []
                out.append(ElementIssue(position=i + 1, code="3", bad_value=els[i]))
                break
    for kind, positions, low in seg.syntax:
        if low >= n and kind != "R":
            continue
        present = [p < n and els[p] != "" for p in positions]
        bad: list[tuple[int, str]] = []
        if kind == "P":
            if any(present) and not all(present):
                bad = [(p, "2") for p, ok in zip(positions, present, strict=True) if not ok]
        elif kind == "R":
            if not any(present):
                bad = [(positions[0], "2")]
        elif kind == "E":
            if sum(present) > 1:
                bad = [(p, "10") for p, ok in zip(positions, present, strict=True) if ok][1:]
        elif kind == "C":
            if present[0]:
                bad = [(p, "2") for p, ok in zip(positions[1:], present[1:], strict=True) if not ok]
        elif kind == "L" and present[0] and not any(present[1:]):
            bad = [(positions[1], "2")]
        if bad:
            if out is None:
                out = []
            names = {c[0]: c for c in seg.checks}
            for p, code in bad:
                c = names.get(p)
                out.append(
                    ElementIssue(
                        position=p + 1,
                        code=code,
                        reference=(c[4] or None) if c else None,
                        name=c[3] if c else "",
                        bad_value=els[p] if code == "10" else None,
                    )
                )
    if seg.period is not None:
        fp, vp = seg.period
        if vp < n and fp < n and els[vp] and not valid_period(els[fp], els[vp]):
            already = out is not None and any(i.position == vp + 1 for i in out)
            if not already:
                if out is None:
                    out = []
                c = next((c for c in seg.checks if c[0] == vp), None)
                out.append(
                    ElementIssue(
                        position=vp + 1,
                        code="8",
                        reference=(c[4] or None) if c else None,
                        name=c[3] if c else "",
                        bad_value=els[vp],
                    )
                )
    for rule in seg.rules:
        if _holds(rule.when, els, cs):
            p0 = rule.target - 1
            v = els[p0] if p0 < n else ""
            c = next((c for c in seg.checks if c[0] == p0), None)
            code = None
            if rule.kind == "element_required" and not v:
                code = "I9"
            elif rule.kind == "element_not_used" and v:
                code = "I13"
            if code:
                if out is None:
                    out = []
                out.append(
                    ElementIssue(
                        position=p0 + 1,
                        code=code,
                        reference=(c[4] or None) if c else None,
                        name=c[3] if c else "",
                        bad_value=v or None,
                    )
                )
    return out


def _holds(cond: Condition | None, els: list[str], cs: str) -> bool:
    if cond is None:
        return True
    p0 = cond.position - 1
    v = els[p0] if p0 < len(els) else ""
    if cond.component and v:
        parts = v.split(cs)
        v = parts[cond.component - 1] if cond.component <= len(parts) else ""
    res = bool(v) if cond.values is None else v in cond.values
    return res != cond.negate


def _elem_label(issue: ElementIssue, seg_id: str) -> str:
    ref = f"{seg_id}{issue.position:02d}"
    if issue.component:
        ref += f"-{issue.component:02d}"
    return f"{issue.name} ({ref})" if issue.name else ref


def _rejects_elements(elements: list[ElementIssue]) -> bool:
    return any(e.code not in NON_REJECTING_IK403 for e in elements)


def _segment_matches(rule_seg: str, node: CSeg, els: list[str]) -> bool:
    """Does ``node`` (with data ``els``) match a rule's "[LOOP/]SEG[*QUALIFIER]"?"""
    loop, _, rule_seg = rule_seg.rpartition("/")
    if loop and node.report_id != loop:
        return False
    sid, _, qual = rule_seg.partition("*")
    if node.id != sid:
        return False
    if not qual:
        return True
    if node.qual is None:
        return False
    p0, comp, _codes = node.qual
    v = els[p0] if p0 < len(els) else ""
    return v == qual or (comp >= 0 and v.split(":", 1)[0] == qual)


class _Walk:
    """One transaction set's walk; kept as a class so the hot loop has few attribute loads."""

    def __init__(self, cg: CompiledGuide, delimiters: Delimiters) -> None:
        self.cg = cg
        self.cs = delimiters.component or "\x00"
        rep = delimiters.repetition
        self.rs = rep if rep and not rep.isalnum() and rep != " " else "\x00"
        self.issues: list[SegmentIssue] = []

    def run(self, segments: Iterable[Segment]) -> list[SegmentIssue]:
        cg = self.cg
        cs, rs = self.cs, self.rs
        dkey = _DKEYS.setdefault((cs, rs), (cs, rs))  # interned: identity test per segment
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
                rep_count = 1
                for i in range(pops):
                    frame = frames.pop()
                    if frame[3]:
                        self._close_rules(frame, seg)
                    if repeats and i == pops - 1:
                        rep_count = frame[1] + 1
                    else:
                        loop = frame[0]
                        if loop.min_repeat and frame[1] < loop.min_repeat:
                            self._issue(loop.first_segment().id, seg, loop.report_id, "I7", frames)
                parent_ctx = frames[-1][2]
                for i, loop in enumerate(pushes):
                    n_rep = rep_count if (i == 0 and repeats) else 1
                    frames.append([loop, n_rep, parent_ctx, None])
                    if n_rep > loop.repeat:
                        self._issue(sid, seg, loop.report_id, "4", frames)
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
                    if grp_req:
                        self._group_left(grp_req, grp_seen, seg, frames)
                    if target.pos:
                        grp_frame, grp_pos, grp_req = frames[-1], target.pos, target.group_req
                        grp_seen = {id(target)}
                    else:
                        grp_frame, grp_pos, grp_req = None, "", ()
            if target.special:
                if target.ctx_source is not None:
                    p0, name = target.ctx_source
                    if p0 < len(els) and els[p0]:
                        frames[-1][2] = Context(name=name, reference=els[p0].split(cs, 1)[0])
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
        if last_seg is not None:
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

    def _elements(self, node: CSeg, seg: Segment, frames: list[list]) -> None:
        errs = check_elements(node, seg.elements, self.cs, self.rs)
        if errs:
            self._report_elements(node, seg, frames, errs)

    def _report_elements(
        self, node: CSeg, seg: Segment, frames: list[list], errs: list[ElementIssue]
    ) -> None:
        if errs:
            what = "; ".join(
                f"{_elem_label(e, node.id)}: {IK403_TEXT.get(e.code, e.code)} (IK403 {e.code})"
                for e in errs
            )
            ctx = frames[-1][2]
            self.issues.append(
                SegmentIssue(
                    segment_id=node.id,
                    position=seg.index,
                    loop_id=node.report_id or None,
                    code="8",
                    line=seg.line,
                    elements=errs,
                    contexts=[ctx] if ctx is not None else [],
                    rejects=_rejects_elements(errs),
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
        ctx = frames[-1][2] if frames else None
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
                    and _segment_matches(r.trigger, node, els)
                    and _holds(r.when, els, self.cs)
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
                if entry[1] is seg or not _segment_matches(r.segment, node, els):
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
