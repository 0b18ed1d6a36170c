"""The ErrorCode values of the real-time CORE envelopes: which are the connectivity rule's,
spelled as the rule spells them, and which are this platform's own.

The rule's codes (CAQH CORE Connectivity Rule vC2.2.0, formerly the Phase II CAQH CORE 270
Connectivity Rule v2.2.0, section 4.4: the envelope metadata of Table 4.4.2 and the error
codes of the envelope that go with it):

* ``Success`` - the envelope was processed (the payload may still be a 999/TA1 that
  rejects the X12 inside: that is X12's answer, not the envelope's);
* ``<Field>Required`` / ``<Field>Illegal`` - a metadata field of Table 4.4.2 (PayloadType,
  ProcessingMode, PayloadID, TimeStamp, SenderID, ReceiverID, CORERuleVersion, Payload) is
  missing or has a value the receiver does not accept;
* ``VersionMismatch`` - the CORERuleVersion is not one the receiver supports;
* ``UnAuthorized`` - the submitter may not send this (capital A, as in the rule).

Our own (the rule has no code for these; the ErrorMessage says what happened):

* ``EnvelopeIllegal`` - the SOAP envelope itself cannot be read (not XML, a DOCTYPE, no
  COREEnvelopeRealTimeRequest), so no field could be checked;
* ``NotImplemented`` - the inquiry was accepted but no responder answers its transaction
  here yet (HTTP 501; the acknowledgment is enclosed);
* ``ReceiverUnableToProcess`` - no answer could be produced in time (HTTP 503).
"""

from __future__ import annotations

__all__ = [
    "ENVELOPE_ILLEGAL",
    "METADATA_FIELDS",
    "NOT_IMPLEMENTED",
    "OWN_CODES",
    "RECEIVER_UNABLE_TO_PROCESS",
    "SUCCESS",
    "UNAUTHORIZED",
    "VERSION_MISMATCH",
    "illegal",
    "is_rule_code",
    "required",
]

# the metadata fields of the rule's Table 4.4.2 (the envelope's fields, in its order)
METADATA_FIELDS = (
    "PayloadType",
    "ProcessingMode",
    "PayloadID",
    "TimeStamp",
    "SenderID",
    "ReceiverID",
    "CORERuleVersion",
    "Payload",
)

SUCCESS = "Success"
VERSION_MISMATCH = "VersionMismatch"
UNAUTHORIZED = "UnAuthorized"

ENVELOPE_ILLEGAL = "EnvelopeIllegal"
NOT_IMPLEMENTED = "NotImplemented"
RECEIVER_UNABLE_TO_PROCESS = "ReceiverUnableToProcess"
OWN_CODES = frozenset({ENVELOPE_ILLEGAL, NOT_IMPLEMENTED, RECEIVER_UNABLE_TO_PROCESS})


def required(field: str) -> str:
    """The rule's code for a missing metadata field (``PayloadIDRequired``)."""
    return f"{_field(field)}Required"


def illegal(field: str) -> str:
    """The rule's code for a metadata field with a refused value (``PayloadTypeIllegal``)."""
    return f"{_field(field)}Illegal"


def _field(name: str) -> str:
    if name not in METADATA_FIELDS:  # a typo here would invent a code the rule does not have
        raise ValueError(f"not a CORE envelope metadata field: {name}")
    return name


def is_rule_code(code: str) -> bool:
    """True for a code the connectivity rule defines (False for our own)."""
    if code in (SUCCESS, VERSION_MISMATCH, UNAUTHORIZED):
        return True
    return any(code in (f"{f}Required", f"{f}Illegal") for f in METADATA_FIELDS)
