"""The element checks of one matched segment: each value against its element's type,
length and code list, then the checks across elements (extra elements, syntax notes, DTP
periods, situational element rules). Pure functions of the compiled segment and its data,
called by the walker for segment texts it has not found clean before."""

from __future__ import annotations

from ..issues import ElementIssue
from .compiler import CSeg
from .elements import (
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

# IK403 codes saying data the guide marks "not used" is present: the receiver can ignore it,
# so the set is accepted with errors (the walker's severity rule)
NON_REJECTING_IK403 = frozenset({"I10", "I13"})


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
        if holds(rule.when, els, cs):
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


def holds(cond: Condition | None, els: list[str], cs: str) -> bool:
    if cond is None:
        return True
    p0 = cond.position - 1
    v = els[p0] if p0 < len(els) else ""
    if cond.component and v:
        parts = v.split(cs)
        v = parts[cond.component - 1] if cond.component <= len(parts) else ""
    res = bool(v) if cond.values is None else v in cond.values
    return res != cond.negate


def elem_label(issue: ElementIssue, seg_id: str) -> str:
    ref = f"{seg_id}{issue.position:02d}"
    if issue.component:
        ref += f"-{issue.component:02d}"
    return f"{issue.name} ({ref})" if issue.name else ref


def rejects_elements(elements: list[ElementIssue]) -> bool:
    return any(e.code not in NON_REJECTING_IK403 for e in elements)


def segment_matches(rule_seg: str, node: CSeg, els: list[str]) -> bool:
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


__all__ = ["check_elements", "elem_label", "holds", "rejects_elements", "segment_matches"]
