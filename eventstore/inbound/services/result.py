"""What ingesting one file produced (what the command prints and the API answers)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from eventstore.inbound.models import BatchStatus, TransactionBatch

__all__ = ["NOT_OK_STATUSES", "IngestResult"]

# A file that ends in one of these was not accepted: the command exits with 1 (RECEIVED only
# when this call's processing was interrupted; see IngestResult.ok).
NOT_OK_STATUSES = frozenset(
    {
        BatchStatus.RECEIVED,
        BatchStatus.REJECTED,
        BatchStatus.DUPLICATE,
        BatchStatus.UNKNOWN_PARTNER,
        BatchStatus.FAILED,
    }
)


@dataclass(frozen=True)
class IngestResult:
    """The outcome of ingesting one file (what the command prints, per file)."""

    file: str
    batch: int | None
    status: str
    already_received: bool = False
    reason: str = ""
    partner: str = ""
    sets_accepted: int = 0
    sets_rejected: int = 0

    @property
    def ok(self) -> bool:
        """True when the file was registered and not rejected.

        A batch RECEIVED by *this* call means its processing was interrupted (not ok); one
        found RECEIVED as already received is being processed by another process (ok).
        """
        if self.batch is None:
            return False
        if self.status == BatchStatus.RECEIVED:
            return self.already_received
        return self.status not in NOT_OK_STATUSES

    @property
    def message(self) -> str:
        """One line for people: "accepted as batch 12", "already received as batch 12"."""
        if self.batch is None:
            return f"not registered: {self.reason}"
        label = BatchStatus(self.status).label if self.status in BatchStatus else self.status
        if self.status == BatchStatus.RECEIVED:
            label = "Still being processed" if self.already_received else "Interrupted"
        if self.already_received:
            text = f"already received as batch {self.batch} ({label.lower()})"
        else:
            text = f"{label.lower()} as batch {self.batch}"
        return f"{text}: {self.reason}" if self.reason and not self.ok else text

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (``manage.py ingest --format json``)."""
        return asdict(self)

    @classmethod
    def from_batch(cls, batch: TransactionBatch, *, file: str, already: bool) -> IngestResult:
        return cls(
            file=file,
            batch=batch.pk,
            status=batch.status,
            already_received=already,
            reason=batch.status_reason,
            partner=batch.partner.code if batch.partner_id else "",
            sets_accepted=batch.sets_accepted,
            sets_rejected=batch.sets_rejected,
        )
