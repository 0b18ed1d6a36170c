"""Value types, domain errors and the scope rule, shared by services, selectors and gaps."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from .models import ALL_TRANSACTIONS, COUNTER_TYPE_RANK, CounterType


class ControlNumberError(Exception):
    """Base class of the control-number store's domain errors."""


class ControlNumberExhausted(ControlNumberError):
    """A counter would pass its max value; nothing was allocated."""

    # Read by the error classifier (edi_platform.core.retry.classify): shown to operators.
    suggestion = (
        "the counter is at its maximum: agree a rollover with the partner, then "
        "`manage.py reset_control_number ... --rollover`"
    )


class UnknownPartner(ControlNumberError):
    """No trading partner has this code (the scope rule needs the partner's setting)."""

    suggestion = "onboard the partner (admin: Trading partners) or correct the partner code"


class ResetRefused(ControlNumberError):
    """The reset would re-issue numbers of the current epoch, or its input is invalid."""


class NumbersNotFound(ControlNumberError):
    """No control numbers were allocated to this outbound file."""


@dataclass(frozen=True)
class EnvelopeNumbers:
    """The control numbers of one outbound file."""

    isa13: int
    gs06: int | None  # None when with_group=False (TA1 interchange)
    st02s: list[int] = field(default_factory=list)  # consecutive block
    outbound_file_id: uuid.UUID | None = None

    def as_dict(self) -> dict:
        return {
            "isa13": self.isa13,
            "gs06": self.gs06,
            "st02s": list(self.st02s),
            "outbound_file_id": str(self.outbound_file_id),
        }


@dataclass(frozen=True, order=True)
class CounterKey:
    """The natural key of a counter row."""

    partner_code: str
    transaction_type: str
    counter_type: str

    def lock_rank(self) -> tuple[int, str, str]:
        """Position in the fixed lock order (ISA < GS < ST, then transaction, partner)."""
        return (
            COUNTER_TYPE_RANK[CounterType(self.counter_type)],
            self.transaction_type,
            self.partner_code,
        )

    def __str__(self) -> str:
        return f"{self.partner_code}/{self.transaction_type}/{self.counter_type}"


def counter_key(
    *, partner_code: str, transaction_type: str, counter_type: str, scope: str
) -> CounterKey:
    """Apply the scope rule: which counter row a number of this kind comes from.

    ISA and GS counters are per partner (transaction type ``"*"``) unless the partner's
    ``control_number_scope`` is ``"transaction"``; ST counters are always per partner and
    transaction type.
    """
    kind = CounterType(counter_type)
    if not transaction_type:
        raise ValueError("transaction_type is required")
    if kind in (CounterType.ISA, CounterType.GS) and scope != "transaction":
        transaction_type = ALL_TRANSACTIONS
    elif transaction_type == ALL_TRANSACTIONS and kind == CounterType.ST:
        raise ValueError('ST counters are per transaction type; "*" is not one')
    return CounterKey(partner_code, transaction_type, kind.value)
