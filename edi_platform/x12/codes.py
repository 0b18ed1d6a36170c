"""X12 code lists used in TA1 and 999 acknowledgments, with their meanings for people.

Sources: X12 data element dictionaries (TA104 = DE I17, TA105 = DE I18, AK901/IK501 = DE 715/717,
AK905 = DE 716, IK502 = DE 618, IK304 = DE 620, IK403 = DE 621) as used by 005010X231A1.
"""

from __future__ import annotations

# TA104 Interchange Acknowledgment Code (I17)
TA1_ACK_CODES: dict[str, str] = {
    "A": "the interchange header and trailer were received and have no errors",
    "E": "the interchange header and trailer were received and accepted, but errors are noted",
    "R": "the interchange header and trailer were rejected because of errors",
}

# TA105 Interchange Note Code (I18)
TA1_NOTE_CODES: dict[str, str] = {
    "000": "No error",
    "001": "The Interchange Control Number in the Header and Trailer Do Not Match",
    "002": "This Standard as Noted in the Control Standards Identifier is Not Supported",
    "003": "This Version of the Controls is Not Supported",
    "004": "The Segment Terminator is Invalid",
    "005": "Invalid Interchange ID Qualifier for Sender",
    "006": "Invalid Interchange Sender ID",
    "007": "Invalid Interchange ID Qualifier for Receiver",
    "008": "Invalid Interchange Receiver ID",
    "009": "Unknown Interchange Receiver ID",
    "010": "Invalid Authorization Information Qualifier Value",
    "011": "Invalid Authorization Information Value",
    "012": "Invalid Security Information Qualifier Value",
    "013": "Invalid Security Information Value",
    "014": "Invalid Interchange Date Value",
    "015": "Invalid Interchange Time Value",
    "016": "Invalid Interchange Standards Identifier Value",
    "017": "Invalid Interchange Version ID Value",
    "018": "Invalid Interchange Control Number Value",
    "019": "Invalid Acknowledgment Requested Value",
    "020": "Invalid Test Indicator Value",
    "021": "Invalid Number of Included Groups Value",
    "022": "Invalid Control Structure",
    "023": "Improper (Premature) End-of-File (Transmission)",
    "024": "Invalid Interchange Content (e.g., Invalid GS Segment)",
    "025": "Duplicate Interchange Control Number",
    "026": "Invalid Data Element Separator",
    "027": "Invalid Component Element Separator",
}

# AK901 Functional Group Acknowledge Code (715) and IK501 Transaction Set Acknowledgment (717)
AK9_ACK_CODES: dict[str, str] = {
    "A": "Accepted",
    "E": "Accepted, But Errors Were Noted",
    "P": "Partially Accepted, At Least One Transaction Set Was Rejected",
    "R": "Rejected",
}
IK5_ACK_CODES: dict[str, str] = {
    "A": "Accepted",
    "E": "Accepted But Errors Were Noted",
    "R": "Rejected",
}

# AK905-AK909 Functional Group Syntax Error Code (716)
AK9_ERROR_CODES: dict[str, str] = {
    "1": "Functional Group Not Supported",
    "2": "Functional Group Version Not Supported",
    "3": "Functional Group Trailer Missing",
    "4": "Group Control Number in the Functional Group Header and Trailer Do Not Agree",
    "5": "Number of Included Transaction Sets Does Not Match Actual Count",
    "6": "Group Control Number Violates Syntax",
    "19": "Functional Group Control Number not Unique within Interchange",
}

# IK502-IK506 Implementation Transaction Set Syntax Error Code (618)
IK5_ERROR_CODES: dict[str, str] = {
    "1": "Transaction Set Not Supported",
    "2": "Transaction Set Trailer Missing",
    "3": "Transaction Set Control Number in Header and Trailer Do Not Match",
    "4": "Number of Included Segments Does Not Match Actual Count",
    "5": "One or More Segments in Error",
    "6": "Missing or Invalid Transaction Set Identifier",
    "7": "Missing or Invalid Transaction Set Control Number",
    "18": "Transaction Set not in Functional Group",
    "19": "Invalid Transaction Set Implementation Convention Reference",
    "23": "Transaction Set Control Number Not Unique within the Functional Group",
    "I5": "Implementation One or More Segments in Error",
    "I6": "Implementation Convention Not Supported",
}

# IK304 Implementation Segment Syntax Error Code (620)
IK3_ERROR_CODES: dict[str, str] = {
    "1": "Unrecognized segment ID",
    "2": "Unexpected segment",
    "3": "Required Segment Missing",
    "4": "Loop Occurs Over Maximum Times",
    "5": "Segment Exceeds Maximum Use",
    "6": "Segment Not in Defined Transaction Set",
    "7": "Segment Not in Proper Sequence",
    "8": "Segment Has Data Element Errors",
    "I4": "Implementation 'Not Used' Segment Present",
    "I6": "Implementation Dependent Segment Missing",
    "I7": "Implementation Loop Occurs Under Minimum Times",
    "I8": "Implementation Segment Below Minimum Use",
    "I9": "Implementation Dependent 'Not Used' Segment Present",
}

# IK403 Implementation Data Element Syntax Error Code (621)
IK4_ERROR_CODES: dict[str, str] = {
    "1": "Required Data Element Missing",
    "2": "Conditional Required Data Element Missing",
    "3": "Too Many Data Elements",
    "4": "Data Element Too Short",
    "5": "Data Element Too Long",
    "6": "Invalid Character In Data Element",
    "7": "Invalid Code Value",
    "8": "Invalid Date",
    "9": "Invalid Time",
    "10": "Exclusion Condition Violated",
    "12": "Too Many Repetitions",
    "13": "Too Many Components",
    "I6": "Code Value Not Used in Implementation",
    "I9": "Implementation Dependent Data Element Missing",
    "I10": "Implementation 'Not Used' Data Element Present",
    "I11": "Implementation Too Few Repetitions",
    "I12": "Implementation Pattern Match Failure",
    "I13": "Implementation Dependent 'Not Used' Data Element Present",
}

# ISA05/ISA07 Interchange ID Qualifier (I05)
ID_QUALIFIERS: frozenset[str] = frozenset(
    [
        "01",
        "02",
        "03",
        "04",
        "07",
        "08",
        "09",
        "10",
        "11",
        "12",
        "13",
        "14",
        "15",
        "16",
        "17",
        "18",
        "19",
        "20",
        "21",
        "22",
        "23",
        "24",
        "25",
        "26",
        "27",
        "28",
        "29",
        "30",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "38",
        "AM",
        "NR",
        "SA",
        "SN",
        "ZZ",
    ]
)

# GS01 Functional Identifier Code -> the ST01 values a group of that kind may hold
FUNCTIONAL_GROUPS: dict[str, frozenset[str]] = {
    "BE": frozenset({"834"}),
    "HC": frozenset({"837"}),
    "HP": frozenset({"835"}),
    "HS": frozenset({"270"}),
    "HB": frozenset({"271"}),
    "HR": frozenset({"276"}),
    "HN": frozenset({"277"}),
    "HI": frozenset({"278"}),
    "RA": frozenset({"820"}),
    "PI": frozenset({"275"}),
    "FA": frozenset({"999", "997"}),
}

# The transaction sets this platform handles (guides exist or are planned for them).
SUPPORTED_SETS: frozenset[str] = frozenset({"834", "837", "835", "270", "271", "276", "277", "999"})

# Transaction set names for people.
SET_NAMES: dict[str, str] = {
    "270": "Eligibility Inquiry",
    "271": "Eligibility Response",
    "276": "Claim Status Request",
    "277": "Claim Status Response / Claim Acknowledgment",
    "834": "Benefit Enrollment and Maintenance",
    "835": "Health Care Claim Payment/Advice",
    "837": "Health Care Claim",
    "999": "Implementation Acknowledgment",
    "997": "Functional Acknowledgment",
}


def meaning(table: dict[str, str], code: str) -> str:
    """The human meaning of ``code`` in ``table``, or ``"unknown code"``."""
    return table.get(code, "unknown code")
