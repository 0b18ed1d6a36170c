"""The 834 (005010X220A1) codes the member projections keep, with their meanings: the
choices of the projection columns, so every page shows "19 Child", not "19"."""

from __future__ import annotations


def _choices(table: dict[str, str]) -> list[tuple[str, str]]:
    return [(code, f"{code} {meaning}") for code, meaning in table.items()]


# INS02 Individual Relationship Code
RELATIONSHIP = {
    "01": "Spouse",
    "03": "Father or Mother",
    "04": "Grandfather or Grandmother",
    "05": "Grandson or Granddaughter",
    "06": "Uncle or Aunt",
    "07": "Nephew or Niece",
    "08": "Cousin",
    "09": "Adopted Child",
    "10": "Foster Child",
    "11": "Son-in-law or Daughter-in-law",
    "12": "Brother-in-law or Sister-in-law",
    "13": "Mother-in-law or Father-in-law",
    "14": "Brother or Sister",
    "15": "Ward",
    "16": "Stepparent",
    "17": "Stepson or Stepdaughter",
    "18": "Self",
    "19": "Child",
    "23": "Sponsored Dependent",
    "24": "Dependent of a Minor Dependent",
    "25": "Ex-spouse",
    "26": "Guardian",
    "31": "Court Appointed Guardian",
    "38": "Collateral Dependent",
    "53": "Life Partner",
    "60": "Annuitant",
    "D2": "Trustee",
    "G8": "Other Relationship",
    "G9": "Other Relative",
}

# INS04 Maintenance Reason Code
MAINTENANCE_REASON = {
    "01": "Divorce",
    "02": "Birth",
    "03": "Death",
    "04": "Retirement",
    "05": "Adoption",
    "06": "Strike",
    "07": "Termination of Benefits",
    "08": "Termination of Employment",
    "09": "COBRA",
    "10": "COBRA Premium Paid",
    "11": "Surviving Spouse",
    "14": "Voluntary Withdrawal",
    "15": "Primary Care Provider (PCP) Change",
    "16": "Quit",
    "17": "Fired",
    "18": "Suspended",
    "20": "Active",
    "21": "Disability",
    "22": "Plan Change",
    "25": "Change in Identifying Data Elements",
    "26": "Declined Coverage",
    "27": "Pre-Enrollment",
    "28": "Initial Enrollment",
    "29": "Benefit Selection",
    "31": "Legal Separation",
    "32": "Marriage",
    "33": "Personnel Data",
    "37": "Leave of Absence with Benefits",
    "38": "Leave of Absence without Benefits",
    "39": "Lay Off with Benefits",
    "40": "Lay Off without Benefits",
    "41": "Re-enrollment",
    "43": "Change of Location",
    "59": "Non Payment",
    "AA": "Dissatisfaction with Office Staff",
    "AB": "Dissatisfaction with Medical Care/Services Rendered",
    "AC": "Inconvenient Office Location",
    "AD": "Dissatisfaction with Office Hours",
    "AE": "Unable to Schedule Appointments in a Timely Manner",
    "AF": "Dissatisfaction with Physician's Referral Policy",
    "AG": "Less Respect and Attention Time Given than to Other Patients",
    "AH": "Patient Moved to a New Location",
    "AI": "No Reason Given",
    "AJ": "Appointment Times not Met in a Timely Manner",
    "AL": "Algorithm Assigned Benefit Selection",
    "EC": "Member Benefit Selection",
    "XN": "Notification Only",
    "XT": "Transfer",
}

# INS05 Benefit Status Code
BENEFIT_STATUS = {
    "A": "Active",
    "C": "COBRA",
    "S": "Surviving Insured",
    "T": "TEFRA",
}

# DMG03 Gender Code
GENDER = {"F": "Female", "M": "Male", "U": "Unknown"}

# HD03 Insurance Line Code
INSURANCE_LINE = {
    "AG": "Preventative Care/Wellness",
    "AH": "24 Hour Care",
    "AJ": "Medicare Risk",
    "AK": "Mental Health",
    "DCP": "Dental Capitation",
    "DEN": "Dental",
    "EPO": "Exclusive Provider Organization",
    "FAC": "Facility",
    "HE": "Hearing",
    "HLT": "Health",
    "HMO": "Health Maintenance Organization",
    "LTC": "Long-Term Care",
    "LTD": "Long-Term Disability",
    "MM": "Major Medical",
    "MOD": "Mail Order Drug",
    "PDG": "Prescription Drug",
    "POS": "Point of Service",
    "PPO": "Preferred Provider Organization",
    "PRA": "Practitioners",
    "STD": "Short-Term Disability",
    "UR": "Utilization Review",
    "VIS": "Vision",
}

# HD05 Coverage Level Code
COVERAGE_LEVEL = {
    "CHD": "Children Only",
    "DEP": "Dependents Only",
    "E1D": "Employee and One Dependent",
    "E2D": "Employee and Two Dependents",
    "E3D": "Employee and Three Dependents",
    "E5D": "Employee and One or More Dependents",
    "E6D": "Employee and Two or More Dependents",
    "E7D": "Employee and Three or More Dependents",
    "E8D": "Employee and Four or More Dependents",
    "E9D": "Employee and Five or More Dependents",
    "ECH": "Employee and Children",
    "EMP": "Employee Only",
    "ESP": "Employee and Spouse",
    "FAM": "Family",
    "IND": "Individual",
    "SPC": "Spouse and Children",
    "SPO": "Spouse Only",
    "TWO": "Two Party",
}

RELATIONSHIP_CHOICES = _choices(RELATIONSHIP)
MAINTENANCE_REASON_CHOICES = _choices(MAINTENANCE_REASON)
BENEFIT_STATUS_CHOICES = _choices(BENEFIT_STATUS)
GENDER_CHOICES = _choices(GENDER)
INSURANCE_LINE_CHOICES = _choices(INSURANCE_LINE)
COVERAGE_LEVEL_CHOICES = _choices(COVERAGE_LEVEL)


def label(table: dict[str, str], code: str | None) -> str:
    """ "19 Child" for a known code, the code itself otherwise ("" for none)."""
    if not code:
        return ""
    meaning = table.get(code)
    return f"{code} {meaning}" if meaning else code
