"""What the edits read about one claim (:class:`ClaimFacts`), filled by :mod:`.verdicts`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from eventstore.ledger.lookup import MemberFacts
from outbound.claims.models import ClaimStatus

from .reading import Line, ReadClaim

__all__ = ["ClaimFacts", "LineFacts"]


@dataclass(slots=True)
class LineFacts:
    line: Line
    charge: Decimal | None
    period: tuple[dt.date, dt.date] | None
    unusable_date: bool


@dataclass(slots=True)
class ClaimFacts:
    """One claim as the edits see it, and what they decided."""

    claim: ReadClaim
    today: dt.date
    charge: Decimal | None = None
    period: tuple[dt.date, dt.date] | None = None
    lines: list[tuple[int, LineFacts]] = field(default_factory=list)
    npi_valid: bool = False
    finding_claim: bool = False
    finding_lines: set[int] = field(default_factory=set)
    findings: list[str] = field(default_factory=list)  # codes and positions, no data
    subscriber: MemberFacts | None = None
    patient: MemberFacts | None = None
    duplicate_of: int | None = None
    replaces: int | None = None
    hits: list[tuple[Any, Sequence[int]]] = field(default_factory=list)  # (edit, where)
    status: str = ClaimStatus.ACCEPTED
    reason: str = ""

    @property
    def patient_member(self) -> MemberFacts | None:
        """The member who is the patient: the dependent found, else the subscriber."""
        return self.patient if self.claim.patient is not None else self.subscriber

    @property
    def accepted(self) -> bool:
        return self.status == ClaimStatus.ACCEPTED

    def duplicate_key(self) -> tuple | None:
        if self.charge is None or self.period is None or self.claim.frequency != "1":
            return None
        return (
            self.claim.provider.id,
            self.claim.pcn,
            self.charge,
            self.period[0],
            self.period[1],
        )
