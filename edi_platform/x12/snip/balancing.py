"""SNIP type 3: the balancing the implementation guides state, with exact decimal sums.

837 (X222A1, X223A2, X224A2; TR3 section 1.4 and X12 RFIs 1115, 1294):
  * CLM02 = the sum of the service line charges (SV102 / SV203 / SV302);
  * for each other payer (2320) that reports its payment (AMT*D): CLM02 = AMT*D + the claim
    level adjustments (2320 CAS) + that payer's line adjustments (2430 CAS);
  * when that payer has line adjudications (2430 SVD01 = its 2330B NM109):
    AMT*D = the sum of SVD02 - the claim level adjustments (2320 CAS);
  * each line adjudication (2430): SVD02 = the line charge - its adjustments (2430 CAS)
    (not for a bundled line, SVD06).
835 (X221A1 section 1.10.2.1):
  * BPR02 = the sum of CLP04 - the sum of the provider adjustments (PLB04/06/08/10/12/14),
    negated when BPR03 is D (a debit: BPR02 is never below zero, the flag carries the sign);
  * each claim: CLP03 - CLP04 = the claim and line adjustments (CAS in 2100 and 2110);
  * each service line: SVC02 - SVC03 = its adjustments (2110 CAS).
834 (X220A1 QTY "Transaction Set Control Totals"): QTY*TO = the member loops (INS),
  QTY*ET = the subscribers (INS01 Y), QTY*DT = the dependents (INS01 N).
820 has no guide here (not a supported set), so no totals are checked for it.

A sum that does not balance is IK403 I12 on the total element (there is no X12 code for
"does not balance"; the guide states the value the element must have). Amounts that are not
numbers are the walker's IK403 6 findings and are left out of the sums here.
"""

from __future__ import annotations

from decimal import Decimal

from edi_platform.x12.segments import Segment

from . import Program, Scope, SnipRun, amount
from .rules import C

__all__ = ["register"]

_ZERO = Decimal(0)
_PLB_AMOUNTS = (4, 6, 8, 10, 12, 14)
_LINE_CHARGE = {"837P": ("SV1", 2), "837I": ("SV2", 3), "837D": ("SV3", 2)}


def _cas_total(seg: Segment) -> Decimal:
    total = _ZERO
    # CAS03, CAS06, ... CAS18: the monetary amount of each (reason, amount, quantity) triple
    for text in seg.elements[2:18:3]:
        value = amount(text)
        if value is not None:
            total += value
    return total


def _add(scope: Scope | None, key: str, value: Decimal) -> None:
    if scope is not None:
        scope.data[key] = scope.data.get(key, _ZERO) + value


def _fmt(value: Decimal) -> str:
    return f"{value:.2f}"


def register(program: Program) -> None:
    """Attach the balancing checks of the program's family."""
    family = program.family
    if family in _LINE_CHARGE:
        _register_837(program, *_LINE_CHARGE[family])
    elif family == "835":
        _register_835(program)
    elif family == "834":
        _register_834(program)


# -- 837 -------------------------------------------------------------------------------------
def _register_837(program: Program, line_segment: str, charge_position: int) -> None:
    def line_charge(run: SnipRun, seg: Segment) -> None:
        els = seg.elements
        value = amount(els[charge_position - 1] if len(els) >= charge_position else "")
        line = run.scope
        if line.name != "2400":
            line = line.find("2400")
        if value is not None and line is not None:
            line.data["charge"] = value
            claim = line.find("2300")
            if claim is not None:
                data = claim.data
                data["lines"] = data.get("lines", _ZERO) + value
                data["line_count"] = data.get("line_count", 0) + 1

    def cas(run: SnipRun, seg: Segment) -> None:
        scope = run.scope
        if scope.name == "2320":
            _add(scope, "cas", _cas_total(seg))
        elif scope.name == "2430":
            total = _cas_total(seg)
            _add(scope, "cas", total)

    def amt(run: SnipRun, seg: Segment) -> None:
        if run.scope.name == "2320" and seg.get(1) == "D":
            value = amount(seg.get(2))
            if value is not None:
                run.scope.data["paid"] = value
                run.scope.data["paid_seg"] = seg

    def payer(run: SnipRun, seg: Segment) -> None:
        if run.scope.name == "2320" and seg.get(1) == "PR" and "payer" not in run.scope.data:
            run.scope.data["payer"] = seg.get(9)

    def close_2430(run: SnipRun, scope: Scope) -> None:
        svd = scope.seg
        claim = scope.find("2300")
        if svd is None or claim is None:
            return
        paid = amount(svd.get(2))
        adjustments = scope.data.get("cas", _ZERO)
        line = scope.find("2400")
        claim.data.setdefault("svd", []).append((svd.get(1), paid or _ZERO, adjustments))
        charge = line.data.get("charge") if line is not None else None
        if paid is None or charge is None or svd.get(6):
            return  # a bundled line (SVD06) is reported against another line
        if charge - adjustments != paid:
            run.element_issue(
                svd,
                2,
                "I12",
                snip=3,
                reference="782",
                name="Service Line Paid Amount",
                bad_value=svd.get(2),
                what=(
                    f"line charge {_fmt(charge)} minus the line adjustments "
                    f"{_fmt(adjustments)} is not the amount paid"
                ),
                scope=scope,
            )

    def close_2320(run: SnipRun, scope: Scope) -> None:
        claim = scope.find("2300")
        if claim is not None:
            claim.data.setdefault("payers", []).append(scope)

    def close_2300(run: SnipRun, scope: Scope) -> None:
        clm = scope.seg
        if clm is None:
            return
        charge = amount(clm.get(2))
        if charge is None:
            return
        if scope.data.get("line_count") and charge != scope.data.get("lines", _ZERO):
            run.element_issue(
                clm,
                2,
                "I12",
                snip=3,
                reference="782",
                name="Total Claim Charge Amount",
                bad_value=clm.get(2),
                what=f"the service line charges add up to {_fmt(scope.data['lines'])}",
                scope=scope,
            )
        lines = scope.data.get("svd", [])
        for payer_scope in scope.data.get("payers", []):
            data = payer_scope.data
            paid = data.get("paid")
            if paid is None:
                continue  # the payer did not adjudicate: nothing to balance
            mine = [entry for entry in lines if entry[0] and entry[0] == data.get("payer")]
            claim_cas = data.get("cas", _ZERO)
            line_cas = sum((entry[2] for entry in mine), _ZERO)
            if paid + claim_cas + line_cas != charge:
                run.element_issue(
                    data["paid_seg"],
                    2,
                    "I12",
                    snip=3,
                    reference="782",
                    name="Payer Paid Amount",
                    bad_value=data["paid_seg"].get(2),
                    what=(
                        f"paid amount + claim adjustments {_fmt(claim_cas)} + line adjustments "
                        f"{_fmt(line_cas)} is not the claim charge {_fmt(charge)}"
                    ),
                    scope=payer_scope,
                )
            elif mine:
                line_paid = sum((entry[1] for entry in mine), _ZERO)
                if line_paid - claim_cas != paid:
                    run.element_issue(
                        data["paid_seg"],
                        2,
                        "I12",
                        snip=3,
                        reference="782",
                        name="Payer Paid Amount",
                        bad_value=data["paid_seg"].get(2),
                        what=(
                            f"the line paid amounts {_fmt(line_paid)} minus the claim "
                            f"adjustments {_fmt(claim_cas)} are not the paid amount"
                        ),
                        scope=payer_scope,
                    )

    program.on(line_segment, line_charge)
    program.on("CAS", cas)
    program.on("AMT", amt, key=C(1, "D"))
    program.on("NM1", payer, key=C(1, "PR"))
    program.on_close("2430", close_2430)
    program.on_close("2320", close_2320)
    program.on_close("2300", close_2300)


# -- 835 -------------------------------------------------------------------------------------
def _register_835(program: Program) -> None:
    def bpr(run: SnipRun, seg: Segment) -> None:
        run.root.data["bpr"] = seg

    def clp(run: SnipRun, seg: Segment) -> None:
        value = amount(seg.get(4))
        if value is not None:
            _add(run.root, "clp04", value)

    def plb(run: SnipRun, seg: Segment) -> None:
        for pos in _PLB_AMOUNTS:
            value = amount(seg.get(pos))
            if value is not None:
                _add(run.root, "plb", value)

    def cas(run: SnipRun, seg: Segment) -> None:
        total = _cas_total(seg)
        _add(run.scope.find("2110"), "cas", total)
        _add(run.scope.find("2100"), "cas", total)

    def _charge_less_paid(run: SnipRun, scope: Scope, name: str, adjusted: str) -> None:
        # SVC02 - SVC03 (line) or CLP03 - CLP04 (claim) = the adjustments of that scope
        seg = scope.seg
        if seg is None:
            return
        at = 3 if seg.id == "SVC" else 4
        charge, paid = amount(seg.get(at - 1)), amount(seg.get(at))
        adjustments = scope.data.get("cas", _ZERO)
        if charge is not None and paid is not None and charge - paid != adjustments:
            run.element_issue(
                seg,
                at,
                "I12",
                snip=3,
                reference="782",
                name=name,
                bad_value=seg.get(at),
                what=(
                    f"charge {_fmt(charge)} minus payment is not the {adjusted} {_fmt(adjustments)}"
                ),
                scope=scope,
            )

    def close_2110(run: SnipRun, scope: Scope) -> None:
        _charge_less_paid(run, scope, "Line Item Provider Payment Amount", "line adjustments")

    def close_2100(run: SnipRun, scope: Scope) -> None:
        _charge_less_paid(run, scope, "Claim Payment Amount", "claim and line adjustments")

    def end(run: SnipRun) -> None:
        seg = run.root.data.get("bpr")
        total = amount(seg.get(2)) if seg is not None else None
        if seg is None or total is None:
            return
        expected = run.root.data.get("clp04", _ZERO) - run.root.data.get("plb", _ZERO)
        if seg.get(3) == "D":
            expected = -expected
        if total != expected:
            run.element_issue(
                seg,
                2,
                "I12",
                snip=3,
                reference="782",
                name="Total Actual Provider Payment Amount",
                bad_value=seg.get(2),
                what=(
                    f"the claim payments minus the provider adjustments come to {_fmt(expected)}"
                ),
                scope=run.root,
            )

    program.on("BPR", bpr)
    program.on("CLP", clp)
    program.on("PLB", plb)
    program.on("CAS", cas)
    program.on_close("2110", close_2110)
    program.on_close("2100", close_2100)
    program.at_end(end)


# -- 834 -------------------------------------------------------------------------------------
_834_TOTALS = {"TO": "member loops", "ET": "subscribers (INS01 Y)", "DT": "dependents (INS01 N)"}


def _register_834(program: Program) -> None:
    def qty(run: SnipRun, seg: Segment) -> None:
        if run.scope is run.root and seg.get(1) in ("TO", "ET", "DT"):
            run.root.data.setdefault("qty", []).append(seg)

    def ins(run: SnipRun, seg: Segment) -> None:
        data = run.root.data
        counts = data.get("ins")
        if counts is None:
            counts = data["ins"] = {"TO": 0, "ET": 0, "DT": 0}
        counts["TO"] += 1
        flag = seg.get(1)
        if flag == "Y":
            counts["ET"] += 1
        elif flag == "N":
            counts["DT"] += 1

    def end(run: SnipRun) -> None:
        stated_totals = run.root.data.get("qty")
        if not stated_totals:
            return  # no QTY to compare (most sets)
        counts = run.root.data.get("ins", {"TO": 0, "ET": 0, "DT": 0})
        for seg in stated_totals:
            stated = amount(seg.get(2))
            kind = seg.get(1)
            if stated is not None and stated != counts[kind]:
                run.element_issue(
                    seg,
                    2,
                    "I12",
                    snip=3,
                    reference="380",
                    name="Record Totals",
                    bad_value=seg.get(2),
                    what=f"the set holds {counts[kind]} {_834_TOTALS[kind]}",
                    scope=run.root,
                )

    program.on("QTY", qty, key=C(1, "TO", "ET", "DT"))
    program.on("INS", ins)
    program.at_end(end)
