"""Reads of the event-store app. Inbound part: batches, their set headers and the batch tree."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.fields.json import KT
from django.db.models.functions import TruncHour

from edi_platform.x12.codes import FUNCTIONAL_GROUPS
from eventstore.models import (
    BatchChannel,
    BatchStatus,
    RoutingStatus,
    TransactionBatch,
    TransactionHeader,
)

# -- inbound ---------------------------------------------------------------------------------

TREE_MAX_SETS = 500  # the detail page lists this many sets; the header list has them all


def batch_by_sha256(*, sha256: str) -> TransactionBatch | None:
    """The batch registered for these bytes, or None."""
    return TransactionBatch.objects.filter(sha256=sha256.lower()).first()


def batches_awaiting_partner() -> QuerySet[TransactionBatch]:
    """Batches from senders that are not (yet) trading partners, oldest first."""
    return TransactionBatch.objects.filter(status=BatchStatus.UNKNOWN_PARTNER).order_by(
        "received_at"
    )


def headers_needing_attention() -> QuerySet[TransactionHeader]:
    """Accepted sets whose routing failed or never finished (retry with Reprocess)."""
    return TransactionHeader.objects.filter(
        routing_status__in=[RoutingStatus.FAILED, RoutingStatus.PENDING]
    ).select_related("batch")


@dataclass
class TreeGroup:
    """One functional group of the batch tree with its set headers."""

    info: dict[str, Any]
    sets: list[TransactionHeader] = field(default_factory=list)
    hidden_sets: int = 0


@dataclass
class TreeInterchange:
    """One interchange of the batch tree."""

    info: dict[str, Any]
    groups: list[TreeGroup] = field(default_factory=list)


@dataclass
class BatchTree:
    """Interchange -> group -> set, as validated (for the batch detail page)."""

    interchanges: list[TreeInterchange]
    problems: list[dict[str, Any]]
    total_sets: int
    shown_sets: int


def batch_tree(*, batch: TransactionBatch, max_sets: int = TREE_MAX_SETS) -> BatchTree:
    """Build the tree from the stored report summary and the set headers (in file order).

    Headers are created in report order, so group *k* owns the next ``set_count`` headers.
    """
    report = batch.report or {}
    total = batch.headers.count()
    headers = iter(batch.headers.order_by("id")[:max_sets])
    shown = 0
    interchanges = []
    for ic in report.get("interchanges", []):
        node = TreeInterchange(info=ic)
        for group in ic.get("groups", []):
            tree_group = TreeGroup(info=group)
            for _ in range(int(group.get("set_count", 0))):
                header = next(headers, None)
                if header is None:
                    tree_group.hidden_sets += 1
                    continue
                tree_group.sets.append(header)
                shown += 1
            node.groups.append(tree_group)
        interchanges.append(node)
    return BatchTree(
        interchanges=interchanges,
        problems=list(report.get("problems", [])),
        total_sets=total,
        shown_sets=shown,
    )


# -- the operations console: files received, by partner and type ----------------------------

# The GS01 of a batch's first functional group, read from its stored report (no column of
# its own: a batch's type is what its first group says it is).
FIRST_GS01 = KT("report__interchanges__0__groups__0__gs01")


def transaction_type_of(gs01: str | None) -> str:
    """The transaction set a GS01 carries ("HC" -> "837"; "FA" -> "999"); "" for none."""
    if not gs01:
        return ""
    if gs01 == "FA":
        return "999"
    sets = FUNCTIONAL_GROUPS.get(gs01)
    return min(sets) if sets else "other"


def functional_ids_for(transaction_type: str) -> list[str]:
    """The GS01 codes whose groups carry ``transaction_type`` (the inverse of the above)."""
    if transaction_type == "999":
        return ["FA"]
    return sorted(code for code, sets in FUNCTIONAL_GROUPS.items() if transaction_type in sets)


def batch_transaction_types() -> list[str]:
    """Every transaction type a received file can be listed under (for filters)."""
    return sorted({transaction_type_of(code) for code in FUNCTIONAL_GROUPS})


def batches_with_type(queryset: QuerySet[TransactionBatch]) -> QuerySet[TransactionBatch]:
    return queryset.alias(first_gs01=FIRST_GS01)


@dataclass(frozen=True)
class ReceivedRow:
    partner_id: int | None
    partner_code: str
    transaction_type: str
    today: int
    week: int
    week_accepted: int
    week_final: int


ACCEPTED_STATUSES = (BatchStatus.ACCEPTED, BatchStatus.PARTIALLY_ACCEPTED)
FINAL_STATUSES = (
    BatchStatus.ACCEPTED,
    BatchStatus.PARTIALLY_ACCEPTED,
    BatchStatus.REJECTED,
    BatchStatus.DUPLICATE,
)


def files_received(*, today: datetime, week: datetime) -> list[ReceivedRow]:
    """Files received since ``week`` per partner and transaction type (system batches —
    reversals — are not files and are left out), with today's share and how many of the
    finished ones were accepted."""
    rows = (
        TransactionBatch.objects.filter(received_at__gte=week)
        .exclude(channel=BatchChannel.SYSTEM)
        .annotate(first_gs01=FIRST_GS01)
        .values("partner_id", "partner__code", "first_gs01")
        .annotate(
            week=Count("id"),
            today=Count("id", filter=Q(received_at__gte=today)),
            accepted=Count("id", filter=Q(status__in=ACCEPTED_STATUSES)),
            final=Count("id", filter=Q(status__in=FINAL_STATUSES)),
        )
    )
    merged: dict[tuple[int | None, str], list[int]] = {}
    codes: dict[int | None, str] = {}
    for row in rows:
        key = (row["partner_id"], transaction_type_of(row["first_gs01"]))
        codes[row["partner_id"]] = row["partner__code"] or ""
        total = merged.setdefault(key, [0, 0, 0, 0])
        for i, name in enumerate(("today", "week", "accepted", "final")):
            total[i] += row[name]
    return sorted(
        (
            ReceivedRow(
                partner_id=pid,
                partner_code=codes[pid],
                transaction_type=ttype,
                today=t[0],
                week=t[1],
                week_accepted=t[2],
                week_final=t[3],
            )
            for (pid, ttype), t in merged.items()
        ),
        key=lambda r: (r.partner_code, r.transaction_type),
    )


def received_per_hour(*, since: datetime) -> dict[datetime, int]:
    """Files received per hour (UTC) since ``since``."""
    rows = (
        TransactionBatch.objects.filter(received_at__gte=since)
        .exclude(channel=BatchChannel.SYSTEM)
        .annotate(hour=TruncHour("received_at"))
        .values("hour")
        .annotate(n=Count("id"))
    )
    return {row["hour"]: row["n"] for row in rows}


def batch_status_counts(*, statuses: list[str]) -> dict[str, int]:
    """How many batches are in each of ``statuses`` (indexed column: cheap)."""
    rows = (
        TransactionBatch.objects.filter(status__in=statuses)
        .values("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    found = {row["status"]: row["n"] for row in rows}
    return {status: found.get(status, 0) for status in statuses}


def reversal_of(batch: TransactionBatch) -> int | None:
    """The batch a system batch reverses (from its report), else None."""
    value = (batch.report or {}).get("reversal_of_batch")
    return value if isinstance(value, int) else None
