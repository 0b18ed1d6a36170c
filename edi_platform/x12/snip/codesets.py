"""SNIP type 5: external code sets, where the guide definitions' data (``CODE_SETS`` in
``guides/definitions/snip_*.py``) says they are used.

* identifiers and shapes (:mod:`.values`): NPI check digit, tax id, provider taxonomy, ZIP
  and state (N4 without a country), ICD-10-CM/PCS and ICD-9 codes against the qualifier
  that names their code set (ABK/ABF/... vs BK/BF/..., BBR/BBQ vs BR/BQ), CPT/HCPCS and CDT
  procedure codes (HC, AD), NUBC revenue codes;
* dated lists (:mod:`edi_platform.x12.codelists`): CARC, RARC, place of service, claim status
  category (507) and status (508), each judged on the service date of the loop the code
  belongs to (checked when the loop closes, since the date often follows the code). A code
  reported for an earlier adjudication (837 COB CAS, an 835 reversal CLP02 22) may be one
  deactivated since: only its start is judged then.

A shape or check-digit failure is IK403 I12 for identifiers (NPI, tax id, ZIP) and 7 for
codes (ICD, CPT/HCPCS, CDT, revenue, taxonomy, state, list codes).
"""

from __future__ import annotations

import functools
from datetime import date

from edi_platform.x12.codelists import get_list
from edi_platform.x12.segments import Segment

from . import Program, SnipRun
from . import values as v
from .rules import Field, Predicate, element_value, exact_key, key_of, predicate

__all__ = ["fields_for", "register"]

# the dated lists (edi_platform.x12.codelists) and the element each one names
_DATED_NAMES = {
    "carc": "Claim Adjustment Reason Code",
    "rarc": "Remittance Advice Remark Code",
    "pos": "Place of Service Code",
    "claim_status_category": "Claim Status Category Code",
    "claim_status": "Claim Status Code",
}
_LISTS = frozenset(_DATED_NAMES)
_EARLIEST = date(1900, 1, 1)  # a start date that judges nothing (no start tracked)
_SIMPLE = {
    "npi": (v.check_npi, "I12", "National Provider Identifier"),
    "ein": (v.check_ein, "I12", "Tax Identification Number"),
    "taxonomy": (v.check_taxonomy, "7", "Provider Taxonomy Code"),
    "revenue": (v.check_revenue, "7", "Revenue Code"),
}


@functools.cache
def fields_for(family: str) -> tuple[Field, ...]:
    """The family's code-set fields (from the guide definition modules)."""
    from ..guides.definitions import snip_27x, snip_834, snip_835, snip_837, snip_claim_status

    out: list[Field] = []
    for module in (snip_837, snip_835, snip_834, snip_27x, snip_claim_status):
        out.extend(module.CODE_SETS.get(family, ()))
    return tuple(out)


def register(program: Program) -> None:
    """Attach the family's code-set checks, each keyed on its qualifier element (NM108,
    REF01, ...) so that a segment only meets the fields that apply to it, and each a
    function made for its kind of check (one call per field that applies)."""
    for f in fields_for(program.family):
        hook = _hook(f)
        if f.check in _LISTS:
            program.uses_dates()  # a dated list: judged on the service date (defer)
        exact = exact_key(f.match)
        if exact is not None or not (f.match.conditions or f.match.any_of):
            program.on(f.match.segment, hook, key=exact)
        else:
            test = predicate(f.match)
            program.on(f.match.segment, functools.partial(_tested, hook, test), key=key_of(f.match))
    if program.family == "835":
        program.on("CLP", _reversal)


def _hook(field: Field):
    """The check of one field as a function ``f(run, segment)``."""
    check = field.check
    p0, component = field.element - 1, field.component
    if check == "postal":
        return _postal
    if check == "diagnosis":
        return _diagnoses
    if check == "procedure":
        return functools.partial(_procedure_hook, p0)
    if check in _SIMPLE:
        test, code, name = _SIMPLE[check]

        def simple(run: SnipRun, seg: Segment) -> None:
            els = seg.elements
            value = els[p0] if p0 < len(els) else ""
            if component and value:
                value = element_value(els, field.element, component, run.component)
            if value:
                why = test(value)
                if why is not None:
                    _report(run, seg, field, code, name, value, why)

        return simple

    def dated(run: SnipRun, seg: Segment) -> None:
        els = seg.elements
        value = els[p0] if p0 < len(els) else ""
        if component and value:
            value = element_value(els, field.element, component, run.component)
        if value:
            _dated(run, seg, field, value)

    return dated


def _tested(hook, test: Predicate, run: SnipRun, seg: Segment) -> None:
    if test(seg.elements, run.component):
        hook(run, seg)


def _reversal(run: SnipRun, seg: Segment) -> None:
    # CLP02 22: a reversal of an earlier adjudication, reported with that one's codes
    claim = run.scope.find("2100")
    if claim is not None:
        claim.data["reversal"] = seg.get(2) == "22"


def _procedure_hook(p0: int, run: SnipRun, seg: Segment) -> None:
    els = seg.elements
    if p0 < len(els) and els[p0]:
        _procedure(run, seg, p0 + 1)


def _report(
    run: SnipRun,
    seg: Segment,
    field: Field,
    code: str,
    name: str,
    value: str,
    why: str,
    *,
    element: int | None = None,
    component: int | None = None,
) -> None:
    run.element_issue(
        seg,
        element or field.element,
        code,
        snip=5,
        component=component if component is not None else (field.component or None),
        name=name,
        bad_value=value,
        what=why,
    )


def _dated(run: SnipRun, seg: Segment, field: Field, value: str) -> None:
    codes = get_list(field.check)
    if codes is None:
        return  # the list is missing: code_list_status() says so
    entry = codes.codes.get(value)
    if entry is None and not codes.complete:
        return  # a subset does not judge codes it does not hold
    if entry is not None and entry[0] <= _EARLIEST and entry[1] is None:
        return  # valid on any date: nothing to wait for
    derivative = field.derivative or (
        run.program.family == "835" and (run.scope.find("2100") or run.root).data.get("reversal")
    )
    scope = run.scope
    name = _DATED_NAMES[field.check]

    def judge(on: date | None) -> None:
        codes = get_list(field.check)
        if codes is None:
            return  # the list is missing: code_list_status() says so
        why = codes.lookup(value, on)
        if why is not None and derivative and why.startswith("was deactivated"):
            why = None  # an earlier adjudication may report a code deactivated since
        if why is not None:
            when = f" on {on.isoformat()}" if on is not None else ""
            run.element_issue(
                seg,
                field.element,
                "7",
                snip=5,
                component=field.component or None,
                name=name,
                bad_value=value,
                what=f"the code {why}{when} ({field.check} list)",
                scope=scope,
            )

    run.defer(judge)


def _postal(run: SnipRun, seg: Segment) -> None:
    els = seg.elements
    n = len(els)
    state = els[1] if n > 1 else ""
    postal = els[2] if n > 2 else ""
    country = els[3] if n > 3 else ""
    why = v.check_postal(state, postal, country)
    if why is None:
        return
    position = 2 if "state" in why or "province code" in why else 3
    run.element_issue(
        seg,
        position,
        "7" if position == 2 else "I12",
        snip=5,
        reference="156" if position == 2 else "116",
        name="State or Province Code" if position == 2 else "Postal Code",
        bad_value=state if position == 2 else postal,
        what=why,
    )


def _diagnoses(run: SnipRun, seg: Segment) -> None:
    cs = run.component
    for position, element in enumerate(seg.elements, 1):
        if not element:
            continue
        parts = element.split(cs)
        family = v.icd_family(parts[0])
        if family is None or len(parts) < 2 or not parts[1]:
            continue
        why = v.check_diagnosis(family, parts[1])
        if why is not None:
            run.element_issue(
                seg,
                position,
                "7",
                snip=5,
                component=2,
                reference="1271",
                name="Industry Code",
                bad_value=parts[1],
                what=why,
            )


def _procedure(run: SnipRun, seg: Segment, position: int) -> None:
    parts = seg.elements[position - 1].split(run.component)
    if len(parts) < 2 or not parts[1]:
        return
    why = v.check_procedure(parts[0], parts[1])
    if why is not None:
        run.element_issue(
            seg,
            position,
            "7",
            snip=5,
            component=2,
            reference="234",
            name="Procedure Code",
            bad_value=parts[1],
            what=why,
        )
