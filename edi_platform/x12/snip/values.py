"""SNIP type 5 value checks that need no list: identifier check digits and code shapes.

Each function returns None when the value is acceptable, else the reason for people (never
the value itself). Results are memoised: identifiers and codes repeat across a file.
"""

from __future__ import annotations

import functools
import re

__all__ = [
    "CANADIAN_PROVINCES",
    "US_STATES",
    "check_cdt",
    "check_diagnosis",
    "check_ein",
    "check_hcpcs",
    "check_npi",
    "check_postal",
    "check_procedure",
    "check_revenue",
    "check_ssn",
    "check_taxonomy",
    "icd_family",
]


def _codes(text: str) -> frozenset[str]:
    return frozenset(text.split())


# USPS codes of the states, DC, territories and military "states" (AA, AE, AP)
US_STATES = _codes(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV "
    "NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY "
    "AS GU MP PR VI FM MH PW UM AA AE AP"
)
CANADIAN_PROVINCES = _codes("AB BC MB NB NL NS NT NU ON PE QC SK YT")

_ICD10CM = re.compile(r"[A-Z][0-9][0-9A-Z][0-9A-Z]{0,4}")  # no decimal point in X12
_ICD10PCS = re.compile(r"[0-9A-HJ-NP-Z]{7}")  # seven characters, no I or O
_ICD9_DX = re.compile(r"(?:[0-9]{3}|V[0-9]{2}|E[0-9]{3})[0-9]{0,2}")
_ICD9_PX = re.compile(r"[0-9]{2}[0-9]{0,2}")
_CPT = re.compile(r"[0-9]{4}[0-9FTU]")  # category I (5 digits), II (F), III (T), PLA (U)
_HCPCS2 = re.compile(r"[A-Z][0-9]{4}")  # level II: a letter and four digits
_CDT = re.compile(r"D[0-9]{4}")
_REVENUE = re.compile(r"0?[0-9]{3}")  # NUBC revenue codes: 4 digits, leading 0 optional
_TAXONOMY = re.compile(r"[0-9]{3}[0-9A-Z]{6}X")
_ZIP = re.compile(r"[0-9]{5}(?:[0-9]{4})?")
_CA_POSTAL = re.compile(r"[A-CEGHJ-NPR-TVXY][0-9][A-CEGHJ-NPR-TV-Z][0-9][A-CEGHJ-NPR-TV-Z][0-9]")

# Qualifiers of HI/diagnosis composites (X12 DE 1270): ICD-10-CM vs ICD-9-CM diagnoses,
# ICD-10-PCS vs ICD-9-CM procedures
DIAGNOSIS_QUALIFIERS_10 = frozenset({"ABK", "ABF", "ABJ", "ABN", "APR", "AAU"})
DIAGNOSIS_QUALIFIERS_9 = frozenset({"BK", "BF", "BJ", "BN", "PR", "DR"})
PROCEDURE_QUALIFIERS_10 = frozenset({"BBR", "BBQ"})
PROCEDURE_QUALIFIERS_9 = frozenset({"BR", "BQ"})


@functools.lru_cache(maxsize=65536)
def check_npi(value: str) -> str | None:
    """NPI: ten digits, first 1 or 2, Luhn check digit over the 80840 prefix + 9 digits."""
    if len(value) != 10 or not (value.isascii() and value.isdigit()):
        return "an NPI is ten digits"
    if value[0] not in "12":
        return "an NPI starts with 1 or 2"
    total = 24  # the digits 8, 0, 8, 4, 0 of the prefix contribute 24 to the Luhn sum
    for i, ch in enumerate(reversed(value[:9])):
        d = ord(ch) - 48
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    if (10 - total % 10) % 10 != ord(value[9]) - 48:
        return "the NPI check digit (Luhn, prefix 80840) does not match"
    return None


@functools.lru_cache(maxsize=16384)
def check_ein(value: str) -> str | None:
    """Employer identification number (tax id): nine digits, not all zeros; a hyphen is
    not sent in X12."""
    if len(value) != 9 or not (value.isascii() and value.isdigit()):
        return "a tax identification number is nine digits"
    if value == "000000000":
        return "a tax identification number is not all zeros"
    return None


@functools.lru_cache(maxsize=16384)
def check_ssn(value: str) -> str | None:
    """Social security number shape: nine digits, area not 000/666/9xx, group and serial
    not zero."""
    if len(value) != 9 or not (value.isascii() and value.isdigit()):
        return "a social security number is nine digits"
    if value[:3] in ("000", "666") or value[0] == "9" or value[3:5] == "00" or value[5:] == "0000":
        return "not a possible social security number"
    return None


@functools.lru_cache(maxsize=4096)
def check_taxonomy(value: str) -> str | None:
    """Health care provider taxonomy code: ten characters ending in X (e.g. 207Q00000X)."""
    return None if _TAXONOMY.fullmatch(value) else "not a provider taxonomy code (10 characters, X)"


def icd_family(qualifier: str) -> str | None:
    """Which code set a diagnosis/procedure qualifier names: 'icd10cm', 'icd9dx',
    'icd10pcs', 'icd9px', or None (not a diagnosis/procedure qualifier we check)."""
    if qualifier in DIAGNOSIS_QUALIFIERS_10:
        return "icd10cm"
    if qualifier in DIAGNOSIS_QUALIFIERS_9:
        return "icd9dx"
    if qualifier in PROCEDURE_QUALIFIERS_10:
        return "icd10pcs"
    if qualifier in PROCEDURE_QUALIFIERS_9:
        return "icd9px"
    return None


@functools.lru_cache(maxsize=65536)
def check_diagnosis(family: str, code: str) -> str | None:
    """A code against the code set its qualifier names; a code of the other ICD revision is
    a qualifier/code mismatch (e.g. an ICD-10 shape under BK)."""
    if "." in code:
        return "a diagnosis or procedure code is sent without its decimal point"
    if family == "icd10cm":
        if _ICD10CM.fullmatch(code):
            return None
        if _ICD9_DX.fullmatch(code):
            return "an ICD-9-CM code under an ICD-10-CM qualifier (ABK/ABF/...)"
        return "not an ICD-10-CM diagnosis code"
    if family == "icd9dx":
        if _ICD9_DX.fullmatch(code):
            return None
        if _ICD10CM.fullmatch(code):
            return "an ICD-10-CM code under an ICD-9-CM qualifier (BK/BF/...)"
        return "not an ICD-9-CM diagnosis code"
    if family == "icd10pcs":
        return None if _ICD10PCS.fullmatch(code) else "not an ICD-10-PCS procedure code"
    if family == "icd9px":
        if _ICD9_PX.fullmatch(code):
            return None
        if _ICD10PCS.fullmatch(code):
            return "an ICD-10-PCS code under an ICD-9-CM qualifier (BR/BQ)"
        return "not an ICD-9-CM procedure code"
    return None


@functools.lru_cache(maxsize=65536)
def check_procedure(qualifier: str, code: str) -> str | None:
    """A procedure code against its qualifier: HC = CPT or HCPCS level II, AD = CDT
    (dental); other qualifiers (NDC, revenue, ...) are not checked here."""
    if qualifier == "HC":
        if _CPT.fullmatch(code) or _HCPCS2.fullmatch(code):
            return None
        return "not a CPT or HCPCS code"
    if qualifier == "AD":
        return None if _CDT.fullmatch(code) else "not a CDT (dental) code"
    return None


check_hcpcs = functools.partial(check_procedure, "HC")
check_cdt = functools.partial(check_procedure, "AD")


@functools.lru_cache(maxsize=4096)
def check_revenue(code: str) -> str | None:
    """NUBC revenue code shape: four digits (a leading zero may be left out)."""
    return None if _REVENUE.fullmatch(code) else "not a revenue code (four digits)"


@functools.lru_cache(maxsize=65536)
def check_postal(state: str, postal: str, country: str) -> str | None:
    """State and postal code of an N4 without a country (US or Canada): the state is a USPS
    state/territory or a Canadian province, the code a ZIP (5 or 9 digits) or a Canadian
    postal code (A9A9A9)."""
    if country:
        return None  # other countries: their own formats, not checked
    if state in CANADIAN_PROVINCES:
        if postal and not _CA_POSTAL.fullmatch(postal):
            return "not a Canadian postal code (A9A9A9, no blank)"
        return None
    if state and state not in US_STATES:
        return "not a US state, territory or Canadian province code"
    if postal and not _ZIP.fullmatch(postal):
        return "not a ZIP code (5 or 9 digits)"
    return None
