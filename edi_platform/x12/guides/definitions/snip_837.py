"""SNIP 4 situational rules and SNIP 5 code-set fields of the 837 guides (X222A1 P, X223A2 I,
X224A2 D), as data. Each rule quotes the condition the TR3 states; the walker applies the
rules decidable inside one segment (``common.py``), these the rules between segments.
"""

from __future__ import annotations

from ...snip.rules import C, Field, M, Rule

REF_F8 = Rule(
    "837-2300-REF-F8",
    "requires_segment",
    M("CLM", C(5, "7", "8", component=3)),
    "Payer Claim Control Number (REF*F8): required when CLM05-3 (claim frequency) is 7 "
    "(replacement) or 8 (void) of a previously adjudicated claim",
    scope="2300",
    target=M("REF", C(1, "F8")),
    loop_id="2300",
)
PATIENT_LEVEL = Rule(
    "837-2000C-HL",
    "requires_segment",
    M("SBR", C(2, negate=True)),
    "Patient hierarchical level (2000C): required when the patient is not the subscriber "
    "(SBR02 is sent only when the subscriber is the patient)",
    scope="2000B",
    target=M("HL", C(3, "23")),
    loop_id="2000C",
    target_scope="2000C",
)
AUTO_ACCIDENT_STATE = Rule(
    "837-CLM11-4",
    "requires_element",
    M(
        "CLM",
        any_of=(C(11, "AA", component=1), C(11, "AA", component=2), C(11, "AA", component=3)),
    ),
    "CLM11-4 Auto Accident State or Province Code: required when CLM11-1, -2 or -3 is AA",
    element=11,
    component=4,
)
ACCIDENT_DATE = Rule(
    "837-2300-DTP-439",
    "requires_segment",
    M("CLM", any_of=(C(11, "AA", "OA", component=1), C(11, "AA", "OA", component=2))),
    "Date - Accident (DTP*439): required when CLM11-1 or CLM11-2 is AA or OA",
    scope="2300",
    target=M("DTP", C(1, "439")),
    loop_id="2300",
)
RENDERING_SAME_AS_BILLING = Rule(
    "837-2310B-NM1-82",
    "not_same_as",
    M("NM1", C(1, "82"), C(8, "XX")),
    "Rendering Provider Name (2310B): required when the rendering provider is not the "
    "billing provider (2010AA); the same NPI there means it is not used",
    scope="2000A",
    target=M("NM1", C(1, "82"), C(8, "XX")),
    element=9,
    reference=M("NM1", C(1, "85"), C(8, "XX")),
    loop_id="2310B",
    target_scope="2300",
)
LINE_RENDERING_SAME_AS_CLAIM = Rule(
    "837-2420A-NM1-82",
    "not_same_as",
    M("NM1", C(1, "82"), C(8, "XX")),
    "Rendering Provider Name (2420A): required when the line's rendering provider is not "
    "the claim's (2310B); the same NPI there means it is not used",
    scope="2300",
    target=M("NM1", C(1, "82"), C(8, "XX")),
    element=9,
    reference=M("NM1", C(1, "82"), C(8, "XX")),
    loop_id="2420A",
    target_scope="2400",
)
DIAGNOSIS_POINTERS_P = Rule(
    "837P-SV107",
    "pointers_within",
    M("SV1", C(7)),
    "SV107 Composite Diagnosis Code Pointer: each pointer names a diagnosis of the claim's "
    "HI segments (1 = the first diagnosis code sent)",
    element=7,
)
DIAGNOSIS_POINTERS_D = Rule(
    "837D-SV311",
    "pointers_within",
    M("SV3", C(11)),
    "SV311 Composite Diagnosis Code Pointer: each pointer names a diagnosis of the claim's "
    "HI segments",
    element=11,
)

SUBSCRIBER_DMG = Rule(
    "837-2010BA-DMG",
    "requires_segment",
    M("SBR", C(2, "18")),
    "Subscriber Demographic Information (2010BA DMG): required when the subscriber is the "
    "patient (SBR02 18)",
    scope="2000B",
    target=M("DMG"),
    loop_id="2010BA",
)
PATIENT_NOT_USED = Rule(
    "837-2000C-not-used",
    "forbids_segment",
    M("SBR", C(2, "18")),
    "Patient hierarchical level (2000C): required when the patient is a person other than "
    "the subscriber, so not used when the subscriber is the patient (SBR02 18)",
    scope="2000B",
    target=M("HL", C(3, "23")),
    loop_id="2000C",
    target_scope="2000C",
)

COMMON_RULES = (
    SUBSCRIBER_DMG,
    PATIENT_NOT_USED,
    REF_F8,
    PATIENT_LEVEL,
    RENDERING_SAME_AS_BILLING,
)
SITUATIONAL: dict[str, tuple[Rule, ...]] = {
    "837P": (
        *COMMON_RULES,
        AUTO_ACCIDENT_STATE,
        ACCIDENT_DATE,
        LINE_RENDERING_SAME_AS_CLAIM,
        DIAGNOSIS_POINTERS_P,
    ),
    "837I": COMMON_RULES,
    "837D": (*COMMON_RULES, AUTO_ACCIDENT_STATE, ACCIDENT_DATE, DIAGNOSIS_POINTERS_D),
}

_IDS = (
    Field(M("NM1", C(8, "XX")), 9, "npi"),
    Field(M("NM1", C(8, "24")), 9, "ein"),
    Field(M("REF", C(1, "EI")), 2, "ein"),
    Field(M("PRV", C(2, "PXC")), 3, "taxonomy"),
    Field(M("N4"), 0, "postal"),
    Field(M("HI"), 0, "diagnosis"),
    # prior payers' adjustments reported for COB: derivative use of the reason codes
    Field(M("CAS"), 2, "carc", derivative=True),
    Field(M("CAS"), 5, "carc", derivative=True),
    Field(M("CAS"), 8, "carc", derivative=True),
    Field(M("CAS"), 11, "carc", derivative=True),
    Field(M("CAS"), 14, "carc", derivative=True),
    Field(M("CAS"), 17, "carc", derivative=True),
)
CODE_SETS: dict[str, tuple[Field, ...]] = {
    "837P": (
        *_IDS,
        Field(M("CLM", C(5, "B", component=2)), 5, "pos", component=1),
        Field(M("SV1"), 1, "procedure"),
        Field(M("SV1"), 5, "pos"),
    ),
    "837I": (
        *_IDS,
        Field(M("SV2"), 1, "revenue"),
        Field(M("SV2"), 2, "procedure"),
    ),
    "837D": (
        *_IDS,
        Field(M("CLM", C(5, "B", component=2)), 5, "pos", component=1),
        Field(M("SV3"), 1, "procedure"),
        Field(M("SV3"), 3, "pos"),
    ),
}
