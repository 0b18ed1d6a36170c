"""SNIP type 4: the situational rules written as data beside each guide definition
(``guides/definitions/snip_*.py``; the rule kinds are described in :mod:`.rules`)."""

from __future__ import annotations

import functools
from datetime import date

from edi_platform.x12.codelists import get_list
from edi_platform.x12.segments import Segment

from . import Program, Scope, SnipRun
from .rules import Cond, Match, Predicate, Rule, element_value, exact_key, key_of, predicate

__all__ = ["holds", "register", "rules_for"]


@functools.cache
def rules_for(family: str) -> tuple[Rule, ...]:
    """The family's situational rules (from the guide definition modules)."""
    from ..guides.definitions import snip_27x, snip_834, snip_835, snip_837, snip_claim_status

    out: list[Rule] = []
    for module in (snip_837, snip_835, snip_834, snip_27x, snip_claim_status):
        out.extend(module.SITUATIONAL.get(family, ()))
    return tuple(out)


def _value(seg: Segment, cond: Cond, cs: str) -> str:
    value = seg.get(cond.position)
    if cond.component and value:
        parts = value.split(cs)
        value = parts[cond.component - 1] if cond.component <= len(parts) else ""
    return value


def _cond(seg: Segment, cond: Cond, cs: str) -> bool:
    value = _value(seg, cond, cs)
    result = bool(value) if cond.values is None else value in cond.values
    return result != cond.negate


def holds(match: Match, seg: Segment, cs: str) -> bool:
    """Whether ``seg`` matches ``match`` (ID, all conditions, one of ``any_of``)."""
    if seg.id != match.segment:
        return False
    if not all(_cond(seg, c, cs) for c in match.conditions):
        return False
    return not match.any_of or any(_cond(seg, c, cs) for c in match.any_of)


def register(program: Program) -> None:
    """Attach the family's situational rules to the program."""
    for rule in rules_for(program.family):
        kind = rule.kind
        if kind in ("requires_segment", "forbids_segment"):
            _segment_rule(program, rule)
        elif kind in ("requires_element", "forbids_element", "value_in"):
            test = predicate(rule.trigger)
            if kind == "value_in" and rule.code_list:
                program.uses_dates()  # judged against the list on the service date (defer)
            hook = functools.partial(_element_rule, rule, test)
            program.on(rule.trigger.segment, hook, key=key_of(rule.trigger))
        elif kind == "not_same_as":
            _not_same_rule(program, rule)
        elif kind == "pointers_within":
            _pointer_rule(program, rule)


def _segment_rule(program: Program, rule: Rule) -> None:
    key_trigger, key_target = f"{rule.id}:trigger", f"{rule.id}:target"
    target = rule.target
    assert target is not None

    where = rule.target_scope or rule.scope
    # a match that is all its dispatch key needs no second test (the hook is only called
    # for segments where the key holds)
    trigger_test = None if exact_key(rule.trigger) else predicate(rule.trigger)
    target_test = (
        None if exact_key(target) or not (target.conditions or target.any_of) else predicate(target)
    )
    home = rule.scope
    element = _trigger_element(rule)

    def trigger(run: SnipRun, seg: Segment) -> None:
        # the trigger belongs to the loop itself (the 2000B SBR, not a 2320 SBR below it)
        scope = run.scope
        if (
            scope.name == home
            and key_trigger not in scope.data
            and (trigger_test is None or trigger_test(seg.elements, run.component))
        ):
            scope.data[key_trigger] = seg

    def seen(run: SnipRun, seg: Segment) -> None:
        scope = run.scope
        if scope.name != where:
            return
        if where != home:
            scope = scope.find(home)
        if (
            scope is not None
            and key_target not in scope.data
            and (target_test is None or target_test(seg.elements, run.component))
        ):
            scope.data[key_target] = seg

    def close(run: SnipRun, scope: Scope) -> None:
        trig = scope.data.get(key_trigger)
        if trig is None:
            return
        found = scope.data.get(key_target)
        if rule.kind == "requires_segment" and found is None:
            run.segment_issue(
                target.segment,
                trig,
                "I6",
                snip=4,
                what=f"required here: {rule.note}",
                loop_id=rule.loop_id,
                trigger=(trig, element),
                scope=scope,
            )
        elif rule.kind == "forbids_segment" and found is not None:
            run.segment_issue(
                target.segment,
                found,
                "I9",
                snip=4,
                what=f"not used here: {rule.note}",
                loop_id=rule.loop_id,
                trigger=(trig, element),
                rejects=False,
                scope=scope,
            )

    program.on(rule.trigger.segment, trigger, key=key_of(rule.trigger))
    program.on(target.segment, seen, key=key_of(target))
    program.on_close(rule.scope, close, when=key_trigger)


def _trigger_element(rule: Rule) -> int | None:
    conds = rule.trigger.conditions or rule.trigger.any_of
    return conds[0].position if conds else None


def _element_rule(rule: Rule, test: Predicate, run: SnipRun, seg: Segment) -> None:
    cs = run.component
    if not test(seg.elements, cs):
        return
    value = element_value(seg.elements, rule.element, rule.component, cs)
    kind = rule.kind
    if kind == "requires_element":
        if not value:
            run.element_issue(
                seg, rule.element, "I9", what=f"required: {rule.note}", **_found(rule, seg, value)
            )
    elif kind == "forbids_element":
        if value:
            run.element_issue(
                seg,
                rule.element,
                "I13",
                what=f"not used: {rule.note}",
                rejects=False,
                **_found(rule, seg, value),
            )
    elif kind == "value_in" and value:
        if rule.code_list:
            scope = run.scope

            def judge(on: date | None) -> None:
                codes = get_list(rule.code_list)
                why = codes.lookup(value, on) if codes is not None else None
                if why is not None:
                    run.element_issue(
                        seg,
                        rule.element,
                        "7",
                        what=f"{why}: {rule.note}",
                        scope=scope,
                        **_found(rule, seg, value),
                    )

            run.defer(judge)
        elif rule.values is not None and value not in rule.values:
            run.element_issue(seg, rule.element, "7", what=rule.note, **_found(rule, seg, value))


def _found(rule: Rule, seg: Segment, value: str) -> dict:
    """The finding's common arguments (built only when a rule finds something)."""
    return {
        "snip": 4,
        "component": rule.component or None,
        "bad_value": value or None,
        "trigger": (seg, _trigger_element(rule)),
    }


def _not_same_rule(program: Program, rule: Rule) -> None:
    key = f"{rule.id}:reference"
    reference, target = rule.reference, rule.target
    assert reference is not None and target is not None
    reference_test, target_test = predicate(reference), predicate(target)

    def remember(run: SnipRun, seg: Segment) -> None:
        # the reference sits in the enclosing loop itself (2010AA in 2000A, 2310B in 2300)
        scope = run.scope
        if (
            scope.name == rule.scope
            and key not in scope.data
            and reference_test(seg.elements, run.component)
        ):
            scope.data[key] = seg

    def compare(run: SnipRun, seg: Segment) -> None:
        if run.scope.name != (rule.target_scope or rule.scope):
            return
        scope = run.scope.find(rule.scope)
        if scope is None or not target_test(seg.elements, run.component):
            return
        ref = scope.data.get(key)
        if ref is None or ref is seg or seg.get(rule.element) != ref.get(rule.element):
            return
        run.segment_issue(
            seg.id,
            seg,
            "I9",
            snip=4,
            what=f"not used here: {rule.note}",
            loop_id=rule.loop_id,
            trigger=(ref, rule.element),
            rejects=False,
        )

    if target.segment != reference.segment or key_of(target) != key_of(reference):
        program.on(reference.segment, remember, key=key_of(reference))
        program.on(target.segment, compare, key=key_of(target))
    else:

        def both(run: SnipRun, seg: Segment) -> None:
            compare(run, seg)
            remember(run, seg)

        program.on(target.segment, both, key=key_of(target))


def _pointer_rule(program: Program, rule: Rule) -> None:
    trigger_test = predicate(rule.trigger)

    def diagnoses(run: SnipRun, seg: Segment) -> None:
        claim = run.scope.find("2300")
        if claim is None:
            return
        count = 0
        for element in seg.elements:
            qualifier = element.split(run.component, 1)[0]
            if qualifier in ("ABK", "ABF", "BK", "BF"):
                count += 1
        claim.data["diagnoses"] = claim.data.get("diagnoses", 0) + count
        claim.data.setdefault("hi", seg)

    def pointers(run: SnipRun, seg: Segment) -> None:
        claim = run.scope.find("2300")
        if claim is None or not trigger_test(seg.elements, run.component):
            return
        count = claim.data.get("diagnoses", 0)
        parts = seg.get(rule.element).split(run.component)
        for index, pointer in enumerate(parts, 1):
            if not pointer:
                continue
            number = int(pointer) if pointer.isascii() and pointer.isdigit() else 0
            if not 1 <= number <= count:
                hi = claim.data.get("hi")
                run.element_issue(
                    seg,
                    rule.element,
                    "7",
                    snip=4,
                    component=index,
                    reference="1328",
                    name="Diagnosis Code Pointer",
                    bad_value=pointer,
                    what=f"{rule.note}; the claim sends {count} diagnosis codes",
                    trigger=(hi, 1) if hi is not None else None,
                )

    program.on("HI", diagnoses)
    program.on(rule.trigger.segment, pointers, key=key_of(rule.trigger))
