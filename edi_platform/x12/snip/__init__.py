"""WEDI SNIP types 3-5 over one transaction set: balancing, situational rules, code sets.

Types 1-2 (syntax and the guide's own requirements) are the guide walker's; these checks run
beside it in the set's one extra pass (:class:`~edi_platform.x12.set_checks.SetChecker`),
each switchable by ``validate(snip_level=..., code_sets=...)``:

* type 3 (:mod:`.balancing`) when ``snip_level >= 3``;
* type 4 (:mod:`.situational`, rules written as data beside each guide definition in
  ``guides/definitions/snip_*.py``) when ``snip_level >= 4``;
* type 5 (:mod:`.codesets`, external code sets) when ``code_sets`` is True.

The checks need loop context (which claim, which service line). It is taken from the
segments themselves: each guide family names the segments that open a scope (HL by level,
CLM, LX, SVD, CLP, SVC, INS, HD ...) and their nesting depth (:data:`SCOPES`); a scope
closes when a trigger of the same or a higher level arrives, and the checks attached to it
run then (a claim's sums, a line's deferred code-set checks with the line's service date).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from edi_platform.x12.issues import Context, ElementIssue, SegmentIssue
from edi_platform.x12.segments import Delimiters, Segment

__all__ = ["SCOPES", "Program", "Scope", "SnipRun", "family_of", "program_for", "run_keyed"]

Hook = Callable[["SnipRun", Segment], None]
ScopeHook = Callable[["SnipRun", "Scope"], None]

# guide version -> family name used by the scope table and the rule data
_FAMILY = {
    "005010X222A1": "837P",
    "005010X223A2": "837I",
    "005010X224A2": "837D",
    "005010X221A1": "835",
    "005010X220A1": "834",
    "005010X279A1": "27X",
    "005010X212": "X212",
    "005010X214": "X214",
}
# family -> triggers: (segment id, qualifier position (0 = none), qualifier values,
#                      scope name, level, scope that must be open (or ""))
_HL = ("HL", 3)
_CLAIM_SCOPES = (
    (*_HL, frozenset({"20"}), "2000A", 1, ""),
    (*_HL, frozenset({"22"}), "2000B", 2, ""),
    (*_HL, frozenset({"23"}), "2000C", 3, ""),
    ("CLM", 0, None, "2300", 4, ""),
    ("SBR", 0, None, "2320", 5, "2300"),
    ("LX", 0, None, "2400", 5, ""),
    ("SVD", 0, None, "2430", 6, ""),
)
SCOPES: dict[str, tuple[tuple[str, int, frozenset[str] | None, str, int, str], ...]] = {
    "837P": _CLAIM_SCOPES,
    "837I": _CLAIM_SCOPES,
    "837D": _CLAIM_SCOPES,
    "835": (
        ("LX", 0, None, "2000", 1, ""),
        ("CLP", 0, None, "2100", 2, ""),
        ("SVC", 0, None, "2110", 3, ""),
        ("PLB", 0, None, "PLB", 1, ""),
    ),
    "834": (("INS", 0, None, "2000", 1, ""), ("HD", 0, None, "2300", 2, "")),
    "27X": (
        (*_HL, frozenset({"20"}), "2000A", 1, ""),
        (*_HL, frozenset({"21"}), "2000B", 2, ""),
        (*_HL, frozenset({"22"}), "2000C", 3, ""),
        (*_HL, frozenset({"23"}), "2000D", 4, ""),
        ("EQ", 0, None, "2110", 5, ""),
        ("EB", 0, None, "2110", 5, ""),
    ),
    "X212": (
        (*_HL, frozenset({"20"}), "2000A", 1, ""),
        (*_HL, frozenset({"21"}), "2000B", 2, ""),
        (*_HL, frozenset({"19"}), "2000C", 3, ""),
        (*_HL, frozenset({"22"}), "2000D", 4, ""),
        (*_HL, frozenset({"23"}), "2000E", 5, ""),
        ("SVC", 0, None, "2210", 6, ""),
    ),
    "X214": (
        (*_HL, frozenset({"20"}), "2000A", 1, ""),
        (*_HL, frozenset({"21"}), "2000B", 2, ""),
        (*_HL, frozenset({"19"}), "2000C", 3, ""),
        (*_HL, frozenset({"PT"}), "2000D", 4, ""),
        ("SVC", 0, None, "2220D", 5, ""),
    ),
}
# Dates that give a scope its "service date" (code sets are judged on it): segment id,
# qualifier element value(s); the first one met in a scope wins. RD8 ranges give their start.
DATE_QUALIFIERS = frozenset({"472", "434", "150", "232", "291", "307", "348", "356"})
# Set-level date when no scope has one: BHT04 (837, 27x, 276/277), BGN03 (834), BPR16 (835)
SET_DATES = {"BHT": 4, "BGN": 3, "BPR": 16}


def family_of(version: str | None) -> str | None:
    """The rule family of a guide version (None: no SNIP 3-5 checks for it)."""
    return _FAMILY.get(version or "")


def amount(value: str) -> Decimal | None:
    """An X12 R (decimal) amount, None when absent or not a number."""
    if not value or len(value) > 18:
        return None
    try:
        result = Decimal(value)
    except InvalidOperation:
        return None
    return result if result.is_finite() else None


@functools.lru_cache(maxsize=4096)
def x12_date(value: str) -> date | None:
    """CCYYMMDD (or the start of a CCYYMMDD-CCYYMMDD range) as a date (dates repeat:
    memoised)."""
    value = value[:8]
    if len(value) != 8 or not (value.isascii() and value.isdigit()):
        return None
    try:
        return date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        return None


class Scope:
    """One loop instance: its trigger segment, what the checks gathered, its date."""

    __slots__ = ("data", "date", "level", "name", "parent", "pending", "seg")

    def __init__(self, name: str, level: int, seg: Segment | None, parent: Scope | None):
        self.name = name
        self.level = level
        self.seg = seg
        self.parent = parent
        self.data: dict[str, Any] = {}
        self.date: date | None = None
        self.pending: list[Callable[[date | None], None]] | None = None

    def find(self, name: str) -> Scope | None:
        """This scope or the nearest enclosing one called ``name``."""
        scope: Scope | None = self
        while scope is not None and scope.name != name:
            scope = scope.parent
        return scope

    def service_date(self) -> date | None:
        """The nearest date of this scope or an enclosing one."""
        scope: Scope | None = self
        while scope is not None:
            if scope.date is not None:
                return scope.date
            scope = scope.parent
        return None


class Program:
    """The checks that apply to one guide version at one SNIP setting (built once)."""

    def __init__(self, family: str) -> None:
        self.family = family
        self.triggers: dict[str, list[tuple[int, frozenset[str] | None, str, int, str]]] = {}
        for sid, qpos, qvals, name, level, needs in SCOPES.get(family, ()):
            self.triggers.setdefault(sid, []).append((qpos, qvals, name, level, needs))
        self.hooks: dict[str, list[Hook]] = {}
        # sid -> (element index, component) -> [{value: hooks}, hooks if present, if absent]
        self.keyed: dict[str, dict[tuple[int, int], list]] = {}
        self.closers: dict[str, list[tuple[str, ScopeHook]]] = {}
        self.end: list[Callable[[SnipRun], None]] = []
        self.dispatch: dict[str, tuple] = {}
        # whether a registered check defers to a service date (see uses_dates): only then
        # are the dates of the set's DTP/DTM (and BHT/BGN ...) segments tracked
        self.dated = False

    def on(self, sid: str, hook: Hook, key: Any = None) -> None:
        """Call ``hook(run, segment)`` for every segment ``sid`` of the set; with ``key`` (a
        :class:`~.rules.Cond` "element p is one of these codes") only for segments where it
        holds, found by one lookup (many hooks wait on NM1, REF, DTP ...)."""
        if key is None or (key.negate and key.values is not None):
            self.hooks.setdefault(sid, []).append(hook)
            return
        slot = self.keyed.setdefault(sid, {}).setdefault(
            (key.position - 1, key.component), [{}, [], []]
        )
        if key.values is not None:
            for value in key.values:
                slot[0].setdefault(value, []).append(hook)
        else:
            slot[2 if key.negate else 1].append(hook)

    def uses_dates(self) -> None:
        """Declare (when registering it) a check that calls :meth:`SnipRun.defer`: its
        judgement waits for the scope's service date, so the run tracks dates."""
        self.dated = True

    def on_close(self, scope_name: str, hook: ScopeHook, when: str = "") -> None:
        """Call ``hook(run, scope)`` when a scope of that name closes (with ``when``: only if
        the scope's data holds that key, e.g. a situational rule's trigger)."""
        self.closers.setdefault(scope_name, []).append((when, hook))

    def at_end(self, hook: Callable[[SnipRun], None]) -> None:
        """Call ``hook(run)`` after the set's last segment (scopes closed)."""
        self.end.append(hook)

    @property
    def empty(self) -> bool:
        """No check registered (nothing to run for this set)."""
        return not (self.hooks or self.keyed or self.closers or self.end)

    def interest(self) -> frozenset[str]:
        """Segment ids the run must see."""
        dates = frozenset({"DTP", "DTM"}) | frozenset(SET_DATES) if self.dated else frozenset()
        return frozenset(self.hooks) | frozenset(self.keyed) | frozenset(self.triggers) | dates

    def compile(self) -> None:
        """Flatten everything a segment ID goes through: (functions ``f(run, segment)``
        for scope triggers, dates and hooks; keyed hook tables, see :func:`run_keyed`)."""
        for sid in self.interest():
            entries: list[Hook] = []
            triggers = self.triggers.get(sid)
            if triggers is not None:
                entries.append(_opener(tuple(triggers)))
            if not self.dated:
                pass  # no check waits for a date: none is read
            elif sid in ("DTP", "DTM"):
                entries.append(SnipRun._date)
            elif sid in SET_DATES:
                entries.append(functools.partial(_set_date, SET_DATES[sid] - 1))
            entries.extend(self.hooks.get(sid, ()))
            keyed = tuple(
                (
                    p0,
                    component,
                    {value: tuple(hooks) for value, hooks in table.items()},
                    tuple(present),
                    tuple(absent),
                )
                for (p0, component), (table, present, absent) in self.keyed.get(sid, {}).items()
            )
            self.dispatch[sid] = (tuple(entries), keyed)


def _opener(triggers: tuple) -> Hook:
    """The scope-opening check of one segment ID, specialised for the usual shapes (one
    unqualified trigger, or HL by its level code) since it runs on every such segment."""

    def open_scope(run: SnipRun, seg: Segment, name: str, level: int) -> None:
        # close the scopes at this level or deeper (a call only for those with checks to
        # run: the root, level 0, stays open), then open the new one
        scope = run.scope
        while scope.level >= level:
            if scope.pending or scope.name in run.program.closers:
                run._close(scope)
            scope = scope.parent
        run.scope = Scope(name, level, seg, scope)

    if len(triggers) == 1 and triggers[0][1] is None and not triggers[0][4]:
        _, _, name, level, _ = triggers[0]

        def single(run: SnipRun, seg: Segment) -> None:
            scope = run.scope
            while scope.level >= level:
                if scope.pending or scope.name in run.program.closers:
                    run._close(scope)
                scope = scope.parent
            run.scope = Scope(name, level, seg, scope)

        return single
    positions = {t[0] for t in triggers}
    if len(positions) == 1 and all(t[1] is not None and not t[4] for t in triggers):
        p0 = positions.pop() - 1
        by_value = {value: (t[2], t[3]) for t in reversed(triggers) for value in t[1]}

        def by_qualifier(run: SnipRun, seg: Segment) -> None:
            els = seg.elements
            found = by_value.get(els[p0] if p0 < len(els) else "")
            if found is not None:
                name, level = found
                scope = run.scope
                while scope.level >= level:
                    if scope.pending or scope.name in run.program.closers:
                        run._close(scope)
                    scope = scope.parent
                run.scope = Scope(name, level, seg, scope)

        return by_qualifier

    def general(run: SnipRun, seg: Segment) -> None:
        els = seg.elements
        for qpos, qvals, name, level, needs in triggers:
            if qvals is not None and (els[qpos - 1] if qpos <= len(els) else "") not in qvals:
                continue
            if needs and run.scope.find(needs) is None:
                continue
            open_scope(run, seg, name, level)
            return

    return general


def _set_date(p0: int, run: SnipRun, seg: Segment) -> None:
    if run.set_date is None and p0 < len(seg.elements):
        run.set_date = x12_date(seg.elements[p0])


def run_keyed(tables: tuple, run: SnipRun, seg: Segment) -> None:
    # hooks waiting on a value (or the presence/absence) of an element or component: one
    # lookup instead of a call per hook (most hooks do not apply to most segments)
    els = seg.elements
    n = len(els)
    for p0, component, table, present, absent in tables:
        value = els[p0] if p0 < n else ""
        if component and value:
            parts = value.split(run.component)
            value = parts[component - 1] if component <= len(parts) else ""
        if value:
            chosen = table.get(value)
            if chosen is not None:
                for hook in chosen:
                    hook(run, seg)
            for hook in present:
                hook(run, seg)
        else:
            for hook in absent:
                hook(run, seg)


_programs: dict[tuple[str, int, bool], Program | None] = {}


def program_for(version: str | None, snip_level: int, code_sets: bool) -> Program | None:
    """The (cached) program for a guide version and SNIP setting; None when no check
    applies."""
    family = family_of(version)
    if family is None or (snip_level < 3 and not code_sets):
        return None
    key = (family, snip_level, code_sets)
    if key not in _programs:
        from . import balancing, codesets, situational

        program = Program(family)
        if snip_level >= 3:
            balancing.register(program)
        if snip_level >= 4:
            situational.register(program)
        if code_sets:
            codesets.register(program)
        program.compile()
        _programs[key] = None if program.empty else program
    return _programs[key]


class SnipRun:
    """The SNIP 3-5 checks of one set: scopes opened and closed as segments arrive."""

    __slots__ = ("component", "issues", "program", "root", "scope", "set_date")

    def __init__(self, program: Program | None, delimiters: Delimiters) -> None:
        self.program = program
        self.component = delimiters.component or ":"
        self.issues: list[SegmentIssue] = []
        self.root = Scope("", 0, None, None)
        self.scope = self.root
        self.set_date: date | None = None

    # -- feeding ----------------------------------------------------------------------------
    def feed(self, seg: Segment) -> None:
        """One segment of the set (a :class:`SetChecker` calls the entries directly)."""
        entries, keyed = self.program.dispatch.get(seg.id, ((), ()))  # type: ignore[union-attr]
        for entry in entries:
            entry(self, seg)
        if keyed:
            run_keyed(keyed, self, seg)

    def finish(self) -> list[SegmentIssue]:
        """After the set's last segment: close every scope, run the end checks; return the
        findings."""
        scope = self.scope
        closers = self.program.closers  # type: ignore[union-attr]
        while scope is not self.root:
            if scope.pending or scope.name in closers:
                self._close(scope)
            scope = scope.parent
        self.scope = self.root
        self._close_pending(self.root)
        for hook in self.program.end:  # type: ignore[union-attr]
            hook(self)
        return self.issues

    def _close(self, scope: Scope) -> None:
        self.scope = scope.parent or self.root
        closers = self.program.closers.get(scope.name)  # type: ignore[union-attr]
        if closers:
            data = scope.data
            for when, hook in closers:
                if not when or when in data:
                    hook(self, scope)
        if scope.pending:
            self._close_pending(scope)

    def _close_pending(self, scope: Scope) -> None:
        if scope.pending:
            when = scope.service_date() or self.set_date
            for check in scope.pending:
                check(when)
            scope.pending = None

    def _date(self, seg: Segment) -> None:
        scope = self.scope
        els = seg.elements
        if scope.date is None and els and els[0] in DATE_QUALIFIERS:
            at = 2 if seg.id == "DTP" else 1
            value = els[at] if len(els) > at else ""
            when = x12_date(value)
            # the first service date also dates the enclosing loops that have none (an 837P
            # claim's place of service is judged on its first line's date)
            while scope is not None and scope is not self.root and scope.date is None:
                scope.date = when
                scope = scope.parent

    def defer(self, check: Callable[[date | None], None]) -> None:
        """Run ``check(service date)`` when the current scope closes (its date is known).
        The check's registration must have called :meth:`Program.uses_dates`."""
        scope = self.scope
        if scope.pending is None:
            scope.pending = []
        scope.pending.append(check)

    # -- findings ---------------------------------------------------------------------------
    def business_context(self, scope: Scope | None = None) -> list[Context]:
        """The CTX business unit of a scope, when its family has one (837: CLM01)."""
        scope = scope or self.scope
        claim = scope.find("2300") if self.program.family.startswith("837") else None
        if claim is not None and claim.seg is not None and claim.seg.get(1):
            return [Context("CLM01", claim.seg.get(1))]
        return []

    def element_issue(
        self,
        seg: Segment,
        position: int,
        code: str,
        *,
        snip: int,
        what: str,
        loop_id: str | None = None,
        component: int | None = None,
        reference: str | None = None,
        name: str = "",
        bad_value: str | None = None,
        trigger: tuple[Segment, int | None] | None = None,
        rejects: bool = True,
        scope: Scope | None = None,
    ) -> None:
        """An IK3 8 + IK4 finding on ``seg`` (with a situational trigger CTX when given)."""
        scope = scope or self.scope
        element = ElementIssue(
            position, code, component, None, reference, bad_value, name, snip=snip
        )
        contexts = self.business_context(scope)
        if trigger is not None:
            contexts.append(_trigger_context(trigger, scope))
        label = f"{seg.id}{position:02d}" + (f"-{component:02d}" if component else "")
        self.issues.append(
            SegmentIssue(
                seg.id,
                seg.index,
                loop_id or scope.name or None,
                "8",
                line=seg.line,
                elements=[element],
                contexts=contexts,
                rejects=rejects,
                message=f"{label}{' ' + name if name else ''}: {what} (SNIP {snip}, IK403 {code})",
                snip=snip,
            )
        )

    def segment_issue(
        self,
        segment_id: str,
        at: Segment,
        code: str,
        *,
        snip: int,
        what: str,
        loop_id: str | None = None,
        trigger: tuple[Segment, int | None] | None = None,
        rejects: bool = True,
        scope: Scope | None = None,
    ) -> None:
        """An IK3 finding (missing/not-used segment) reported at ``at``'s position."""
        scope = scope or self.scope
        contexts = self.business_context(scope)
        if trigger is not None:
            contexts.append(_trigger_context(trigger, scope))
        self.issues.append(
            SegmentIssue(
                segment_id,
                at.index,
                loop_id or scope.name or None,
                code,
                line=at.line,
                contexts=contexts,
                rejects=rejects,
                message=f"Segment {segment_id}: {what} (SNIP {snip}, IK304 {code})",
                snip=snip,
            )
        )


def _trigger_context(trigger: tuple[Segment, int | None], scope: Scope) -> Context:
    seg, element = trigger
    return Context(
        "SITUATIONAL TRIGGER",
        segment_id=seg.id,
        position=seg.index,
        loop_id=scope.name or None,
        element_position=element,
    )
