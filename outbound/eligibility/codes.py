"""Code tables of the 271 (005010X279A1), written down as data.

Nothing here decides anything: :mod:`.matching` picks a reason, :mod:`.response` writes it.
The code values are those of the X279A1 code lists (our guide definition,
``edi_platform/x12/guides/definitions/x279a1.py``, checks every one we send).
"""

from __future__ import annotations

from dataclasses import dataclass

# -- AAA: request validation --------------------------------------------------------------


@dataclass(frozen=True)
class Reject:
    """One AAA we send: where (loop), AAA01 (Y: the request was valid but cannot be
    answered; N: the request or an element of it is invalid), AAA03 and AAA04."""

    loop: str
    valid_request: str  # AAA01
    code: str  # AAA03
    follow_up: str  # AAA04

    @property
    def meaning(self) -> str:
        return REJECT_REASONS.get(self.code, "")

    @property
    def follow_up_meaning(self) -> str:
        return FOLLOW_UP_ACTIONS.get(self.follow_up, "")


REJECT_REASONS: dict[str, str] = {
    "41": "Authorization/Access Restrictions",
    "42": "Unable to Respond at Current Time",
    "43": "Invalid/Missing Provider Identification",
    "57": "Invalid/Missing Date(s) of Service",
    "58": "Invalid/Missing Date-of-Birth",
    "60": "Date of Birth Follows Date(s) of Service",
    "62": "Date of Service Not Within Allowable Inquiry Period",
    "63": "Date of Service in Future",
    "65": "Invalid/Missing Patient Name",
    "67": "Patient Not Found",
    "68": "Duplicate Patient ID Number",
    "71": "Patient Birth Date Does Not Match That for the Patient on the Database",
    "72": "Invalid/Missing Subscriber/Insured ID",
    "73": "Invalid/Missing Subscriber/Insured Name",
    "75": "Subscriber/Insured Not Found",
    "76": "Duplicate Subscriber/Insured ID Number",
    "79": "Invalid Participant Identification",
}
FOLLOW_UP_ACTIONS: dict[str, str] = {
    "C": "Please Correct and Resubmit",
    "N": "Resubmission Not Allowed",
    "R": "Resubmission Allowed",
    "W": "Please Wait 30 Days and Resubmit",
    "Y": "Do Not Resubmit; We Will Hand Over Your Request",
}

# Reason -> (AAA01, AAA04). "N" (invalid) where the data sent is missing or malformed, "Y"
# where it is well formed but cannot be answered. Follow-up: correct and resubmit for data
# the sender can fix; resubmit later when we are lagging (42); never for a receiver we do
# not serve (41) or a date outside the period we answer (62); wait for a date in the
# future beyond what we answer (63).
REASON_FLAGS: dict[str, tuple[str, str]] = {
    "41": ("Y", "N"),
    "42": ("Y", "R"),
    "43": ("N", "C"),
    "57": ("N", "C"),
    "58": ("N", "C"),
    "60": ("N", "C"),
    "62": ("Y", "N"),
    "63": ("Y", "W"),
    "65": ("N", "C"),
    "67": ("Y", "C"),
    "68": ("Y", "C"),
    "71": ("Y", "C"),
    "72": ("N", "C"),
    "73": ("N", "C"),
    "75": ("Y", "C"),
    "76": ("Y", "C"),
    "79": ("N", "C"),
}

# The reasons we send in each loop (all on the X279A1 list of that loop): system-level
# (2000A), about the payer named (2100A), the receiver (2100B), or the person asked about
# (2100C subscriber, 2100D dependent: a 5010 dependent has no id of its own, so its loop
# has no id reasons, and "not found / not unique" have their patient codes 67 / 68).
LOOP_REASONS: dict[str, frozenset[str]] = {
    "2000A": frozenset({"42"}),
    "2100A": frozenset({"42", "79"}),
    "2100B": frozenset({"41", "43"}),
    "2100C": frozenset({"42", "57", "58", "60", "62", "63", "71", "72", "73", "75", "76"}),
    "2100D": frozenset({"42", "57", "58", "60", "62", "63", "65", "67", "68", "71"}),
}


def reject(loop: str, code: str) -> Reject:
    """The AAA for ``code`` at ``loop`` (raises ValueError for a code the loop cannot carry:
    a programming error, caught by the tests)."""
    if code not in LOOP_REASONS[loop]:
        raise ValueError(f"AAA03 {code} is not used in loop {loop}")
    valid, follow_up = REASON_FLAGS[code]
    return Reject(loop=loop, valid_request=valid, code=code, follow_up=follow_up)


# -- service types --------------------------------------------------------------------------

GENERIC_SERVICE_TYPE = "30"  # Health Benefit Plan Coverage

# 834 HD03 insurance line -> the EB03 service types that line covers. A specific service
# type asked (EQ01) is answered by the member's coverages whose line lists it; a member
# with none of them gets "I" (non-covered) for it. A code no line lists is one we do not
# answer specifically: it is answered as the generic 30 (CAQH CORE 154's rule for
# unsupported service types). Lines not listed here (e.g. LTD, STD, HE) count for 30 only.
MEDICAL = (
    "1",  # Medical Care
    "2",  # Surgical
    "4",  # Diagnostic X-Ray
    "5",  # Diagnostic Lab
    "33",  # Chiropractic
    "42",  # Home Health Care
    "45",  # Hospice
    "47",  # Hospital
    "48",  # Hospital - Inpatient
    "50",  # Hospital - Outpatient
    "51",  # Hospital - Emergency Accident
    "52",  # Hospital - Emergency Medical
    "53",  # Hospital - Ambulatory Surgical
    "73",  # Diagnostic Medical
    "86",  # Emergency Services
    "98",  # Professional (Physician) Visit - Office
    "AD",  # Occupational Therapy
    "AE",  # Physical Medicine
    "BZ",  # Physician Visit - Office: Well
    "PT",  # Physical Therapy
    "UC",  # Urgent Care
)
MENTAL_HEALTH = ("MH", "A4", "A6", "A7", "A8", "AI")  # mental health, psychiatric, substance
DENTAL = ("35", "23", "24", "25", "26", "27", "28", "36", "37", "38", "39", "40", "41")
VISION = ("AL", "AM", "AN", "AO")
PHARMACY = ("88", "89", "90", "91", "92")
SERVICE_TYPES_BY_LINE: dict[str, tuple[str, ...]] = {
    "HLT": MEDICAL + MENTAL_HEALTH,
    "MM": MEDICAL + MENTAL_HEALTH,
    "HMO": MEDICAL + MENTAL_HEALTH,
    "PPO": MEDICAL + MENTAL_HEALTH,
    "POS": MEDICAL + MENTAL_HEALTH,
    "EPO": MEDICAL + MENTAL_HEALTH,
    "AK": MENTAL_HEALTH,
    "FAC": ("47", "48", "50"),
    "PRA": ("1", "98"),
    "DEN": DENTAL,
    "DCP": DENTAL,
    "VIS": VISION,
    "PDG": PHARMACY,
    "MOD": ("88", "90"),
    "LTC": ("54",),  # Long Term Care
}
ANSWERED_SERVICE_TYPES: frozenset[str] = frozenset(
    code for codes in SERVICE_TYPES_BY_LINE.values() for code in codes
)

# 834 HD05 coverage level -> EB02 (X279A1 list: CHD DEP ECH EMP ESP FAM IND SPC SPO). The
# 834's "employee and n dependents" (E1D..E9D) and two-party (TWO) levels have no 271 twin:
# EB02 is left out for them rather than guessed.
COVERAGE_LEVELS: dict[str, str] = {
    code: code for code in ("CHD", "DEP", "ECH", "EMP", "ESP", "FAM", "IND", "SPC", "SPO")
}

# 834 HD03 insurance line -> EB04 insurance type. Employer-sponsored coverage that is not a
# managed-care product is "C1" (commercial).
INSURANCE_TYPES: dict[str, str] = {
    "HMO": "HM",
    "PPO": "PR",
    "POS": "PS",
    "EPO": "EP",
    "LTC": "LC",
    "LTD": "LD",
}
DEFAULT_INSURANCE_TYPE = "C1"

# 834 INS02 individual relationship -> the 271 dependent INS02 (01 spouse, 19 child, 20
# employee, 21 unknown, 39 organ donor, 40 cadaver donor, 53 life partner, G8 other).
DEPENDENT_RELATIONSHIPS = frozenset({"01", "19", "20", "21", "39", "40", "53", "G8"})
OTHER_RELATIONSHIP = "G8"

GENDERS = frozenset({"F", "M", "U"})
