"""The code lists the 277CA speaks, as data: claim status categories (code source 507), the
claim status codes we send (code source 508), entity identifiers, and what the 837's
version says about the kind of claim.

Meanings are short paraphrases for operators (the admin, reports, the claim's reason);
the codes are what travels. A status code added here must exist in the engine's X214 code
list (pyx12's ``claim_status``), or the 277CA carrying it is quarantined.
"""

from __future__ import annotations

__all__ = [
    "ACCEPTED_STC",
    "CATEGORIES",
    "CLAIM_TYPES",
    "ENTITIES",
    "RECEIVED_STC",
    "STATUS_CODES",
    "claim_type_for",
    "stc_meaning",
]

# Claim status categories (507) a 277CA uses: only "A" categories in batch acknowledgments.
CATEGORIES: dict[str, str] = {
    "A1": "Acknowledgement / receipt: received, not yet accepted into adjudication",
    "A2": "Acknowledgement / accepted into the adjudication system",
    "A3": "Acknowledgement / returned as unprocessable: rejected, not entered into adjudication",
    "A6": "Acknowledgement / rejected for missing information",
    "A7": "Acknowledgement / rejected for invalid information",
    "A8": "Acknowledgement / rejected for a relational field in error",
}

# Claim status codes (508) we send.
STATUS_CODES: dict[str, str] = {
    "19": "the entity acknowledges receipt of the claim",
    "20": "accepted for processing",
    "21": "missing or invalid information",
    "26": "entity not found",
    "33": "subscriber and subscriber id not found",
    "54": "duplicate of a claim already processed",
    "88": "entity not eligible for benefits on the dates of service",
    "178": "total claim charge amount",
    "187": "date(s) of service",
    "400": "claim is out of balance",
    "464": "payer assigned claim control number",
    "562": "entity's National Provider Identifier (NPI)",
}

# Entity identifiers (98) our status codes name.
ENTITIES: dict[str, str] = {
    "85": "billing provider",
    "PR": "payer",
    "QC": "patient",
    "IL": "insured or subscriber",
}

RECEIVED_STC = ("A1", "19", "PR")  # 2200B and 2200C: the unit of work was received
ACCEPTED_STC = ("A2", "20", "")  # 2200D: the claim is accepted into adjudication

# Implementation guide (GS08/ST03) -> the kind of claim.
CLAIM_TYPES: dict[str, str] = {"X222": "P", "X223": "I", "X224": "D"}


def claim_type_for(version: str) -> str:
    """``005010X222A1`` -> ``P`` (``X223`` institutional, ``X224`` dental; P otherwise)."""
    for key, kind in CLAIM_TYPES.items():
        if key in version:
            return kind
    return "P"


def stc_meaning(category: str, code: str, entity: str = "") -> str:
    """``A7:33`` with its meaning, for people: ``A7:33 rejected for invalid information:
    subscriber and subscriber id not found``."""
    stc = ":".join(p for p in (category, code, entity) if p)
    what = CATEGORIES.get(category, "").split(" / ", 1)[-1]
    detail = STATUS_CODES.get(code, "")
    if entity and entity in ENTITIES:
        detail = f"{detail} ({ENTITIES[entity]})"
    return f"{stc} {what}: {detail}".strip()
