"""835 health care claim payment/advice (005010X221A1): one transaction set per payment.

The payer's adjudication results are imported (``manage.py import_remittance``, the admin
upload: :func:`outbound.remittance.services.remittance_import`), all or nothing, balanced
and code-checked; each payment (check or EFT) is staged as ONE outcome whose content is its
835 (:mod:`outbound.remittance.response`). Outcomes wait for the 835 window (1,440 minutes
by default, editable in the admin: the payer's payment cycle); a file carries up to the
window's batch size of payments to one payee partner. Every file is validated by our
X221A1 guide with SNIP 3 balancing and the envelope validator before it is stored, and
quarantined with the reason otherwise. No SLA: the schedule is the payer's.

The 835 names patients: payloads, previews and downloads need ``outbound.view_file_content``.
A crash before the import's commit leaves nothing; after it, the outcomes are assembled like
every other (see assembly).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from edi_platform import x12
from outbound.remittance.response import remit_segments

from . import ResponseSpec, register

VERSION = "005010X221A1"


def render(
    contents: Sequence[dict[str, Any]], envelope: x12.EnvelopeParams, st02s: list[str]
) -> bytes:
    """One 835 set per outcome (payment), from its content. Pure and deterministic."""
    return x12.build_interchange(
        [("835", remit_segments(c)) for c in contents],
        envelope=envelope,
        functional_id="HP",
        version=VERSION,
        st02s=st02s,
    )


SPEC = register(
    ResponseSpec(
        response_type="835",
        label="835 claim payment/advice",
        functional_id="HP",
        counter_type="835",
        window_minutes=1440,
        sla_minutes=None,
        render=render,
        priority=50,
        guide_version=VERSION,
        validation_snip_level=3,
    )
)
