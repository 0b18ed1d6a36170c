"""Pure-Python X12 5010 library: read, validate, acknowledge and build interchanges.

Nothing in this package imports Django (or Celery).

Public API (used by the inbound and outbound apps):

* :func:`read` — stream :class:`Interchange` objects (one in memory at a time).
* :func:`iter_transaction_sets` — stream one transaction set at a time.
* :func:`validate` — envelope + implementation-guide validation into a JSON-safe
  :class:`ValidationReport` (never raises on malformed input).
* :func:`ack_999_content`, :func:`ta1_content` — structured 999 / TA1 content from a report
  (:func:`ack_999_json`: the 999 content already encoded, for storing a large group).
* :func:`render_999_interchange`, :func:`render_ta1_interchange` — bytes of the ack interchange
  from contents + :class:`EnvelopeParams` (deterministic; control numbers are parameters).
* :func:`build_interchange`, :func:`validate_envelope` — outbound builder and its check.
* :func:`validate_outbound` — envelope + own-guide check of any interchange we built
  (999, TA1, 271, 277, 277CA, 835) before it leaves.
* :func:`code_list_status` — warnings about missing or out-of-date SNIP 5 code lists.
"""

from edi_platform.x12.acks import (
    EnvelopeParams,
    ack_999_content,
    ack_999_json,
    build_999,
    build_ta1,
    render_999_interchange,
    render_ta1_interchange,
    ta1_content,
    ta1_wanted,
)
from edi_platform.x12.builder import build_interchange, validate_envelope
from edi_platform.x12.codelists import code_list_status
from edi_platform.x12.engine import guides_available, validate
from edi_platform.x12.model import (
    FunctionalGroup,
    GroupHeader,
    Interchange,
    InterchangeHeader,
    TransactionSet,
    iter_transaction_sets,
    read,
)
from edi_platform.x12.outbound import validate_outbound
from edi_platform.x12.report import (
    EnvelopeIssue,
    GroupReport,
    InterchangeReport,
    SetReport,
    ValidationReport,
)
from edi_platform.x12.segments import Delimiters, Segment

__all__ = [
    "Delimiters",
    "EnvelopeIssue",
    "EnvelopeParams",
    "FunctionalGroup",
    "GroupHeader",
    "GroupReport",
    "Interchange",
    "InterchangeHeader",
    "InterchangeReport",
    "Segment",
    "SetReport",
    "TransactionSet",
    "ValidationReport",
    "ack_999_content",
    "ack_999_json",
    "build_999",
    "build_interchange",
    "build_ta1",
    "code_list_status",
    "guides_available",
    "iter_transaction_sets",
    "read",
    "render_999_interchange",
    "render_ta1_interchange",
    "ta1_content",
    "ta1_wanted",
    "validate",
    "validate_envelope",
    "validate_outbound",
]
