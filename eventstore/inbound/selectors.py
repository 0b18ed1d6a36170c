"""Reads of the event-store app. Inbound part: batches, their set headers and the batch tree."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from eventstore.models import BatchStatus, RoutingStatus, TransactionBatch, TransactionHeader

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
