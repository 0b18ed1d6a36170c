"""Event-store reports: reads only, returning querysets or small dataclasses.

Active enrollments and member history contain PHI (callers check ``eventstore.view_member``);
the other reports carry ids, codes and counts only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, F, Max, Min, Q, QuerySet
from django.db.models.fields.json import KT
from django.utils import timezone

from eventstore.ledger.codes import RELATIONSHIP, label
from eventstore.ledger.events.mapping_834 import member_aggregate_id
from eventstore.ledger.events.upcasting import upcast_event
from eventstore.ledger.models import EnrollmentStatus, status_expression
from eventstore.models import (
    DomainEvent,
    Enrollment,
    Member,
    ProjectionCheckpoint,
    ProjectionLagAlert,
    TransactionBatch,
)


def active_enrollments(*, today: dt.date | None = None, partner_code: str = "") -> QuerySet:
    """Enrollments ACTIVE as of ``today`` (begin <= today <= end), with their member."""
    today = today or timezone.localdate()
    qs = (
        Enrollment.objects.select_related("member")
        .annotate(current_status=status_expression("benefit_begin", "benefit_end", today))
        .filter(current_status=EnrollmentStatus.ACTIVE, member__isnull=False)
    )
    if partner_code:
        qs = qs.filter(member__partner_code=partner_code)
    return qs.order_by("member__partner_code", "member__subscriber_id", "coverage_key")


def event_stream(
    *,
    batch_id: int | None = None,
    event_type: str = "",
    aggregate_id: str = "",
    after_position: int = 0,
) -> QuerySet:
    """Events in position order with their batch (file) and transaction set."""
    qs = DomainEvent.objects.select_related("batch", "header", "batch__partner").filter(
        position__gt=after_position
    )
    if batch_id:
        qs = qs.filter(batch_id=batch_id)
    if event_type:
        qs = qs.filter(event_type=event_type)
    if aggregate_id:
        qs = qs.filter(aggregate_id=aggregate_id)
    return qs.order_by("position")


def batch_processing_summary() -> QuerySet:
    """Per batch: status, sets, events (reversals apart), members touched, duration."""
    return (
        TransactionBatch.objects.select_related("partner")
        .annotate(
            event_count=Count("events", filter=Q(events__is_reversal=False)),
            reversal_count=Count("events", filter=Q(events__is_reversal=True)),
            members_touched=Count("events__aggregate_id", distinct=True),
            first_position=Min("events__position"),
            last_position=Max("events__position"),
        )
        .order_by("-received_at", "-id")
    )


@dataclass(frozen=True)
class HistoryEntry:
    position: int
    event_id: str
    event_type: str
    version: int
    occurred_at: dt.datetime
    recorded_at: dt.datetime
    batch_id: int | None
    file_name: str
    st02: str
    ins_position: int | None
    is_reversal: bool
    reversed_by: int | None
    data: dict

    def to_dict(self) -> dict:
        return {
            "position": self.position,
            "event_id": self.event_id,
            "event_type": self.event_type,
            "version": self.version,
            "occurred_at": self.occurred_at.isoformat(),
            "recorded_at": self.recorded_at.isoformat(),
            "batch_id": self.batch_id,
            "file_name": self.file_name,
            "st02": self.st02,
            "ins_position": self.ins_position,
            "is_reversal": self.is_reversal,
            "reversed_by": self.reversed_by,
            "data": self.data,
        }


def member_history(aggregate_id: str) -> list[HistoryEntry]:
    """Every event of a member (upcast) with its file, transaction set and INS position."""
    rows = (
        DomainEvent.objects.filter(aggregate_id=aggregate_id)
        .select_related("batch", "header")
        .annotate(reversed_by_position=F("reversed_by__position"))
        .order_by("aggregate_version")
    )
    return [
        HistoryEntry(
            position=e.position,
            event_id=str(e.event_id),
            event_type=e.event_type,
            version=e.aggregate_version,
            occurred_at=e.occurred_at,
            recorded_at=e.recorded_at,
            batch_id=e.batch_id,
            file_name=e.batch.original_name if e.batch_id else "",
            st02=e.header.st02 if e.header_id else "",
            ins_position=e.metadata.get("ins_position"),
            is_reversal=e.is_reversal,
            reversed_by=e.reversed_by_position,
            data=upcast_event(e.event_type, e.schema_version, e.data),
        )
        for e in rows
    ]


def members_for_subscriber(subscriber_id: str, *, partner_code: str = "") -> list[str]:
    """Aggregate ids of every person under a subscriber id (projection + the event log)."""
    members = Member.objects.filter(subscriber_id=subscriber_id)
    if partner_code:
        members = members.filter(partner_code=partner_code)
    ids = list(members.values_list("aggregate_id", flat=True))
    if connection.vendor == "postgresql":
        # Same expression and condition as the partial index event_member_added_subscriber.
        added = DomainEvent.objects.alias(subscriber=KT("data__subscriber_id")).filter(
            event_type="MemberAdded", subscriber=subscriber_id
        )
    else:  # SQLite cannot compare a KT() text with a plain string
        added = DomainEvent.objects.filter(
            event_type="MemberAdded", data__subscriber_id=subscriber_id
        )
    if partner_code:
        added = added.filter(data__partner_code=partner_code)
    ids.extend(added.values_list("aggregate_id", flat=True))
    if partner_code:
        ids.append(member_aggregate_id(partner_code, subscriber_id, "self"))
    return [i for i in dict.fromkeys(ids) if DomainEvent.objects.filter(aggregate_id=i).exists()]


def event_type_statistics() -> QuerySet:
    """Per event type: count, schema versions seen, first and last recorded."""
    return (
        DomainEvent.objects.values("event_type")
        .annotate(
            count=Count("position"),
            min_schema=Min("schema_version"),
            max_schema=Max("schema_version"),
            first_recorded=Min("recorded_at"),
            last_recorded=Max("recorded_at"),
        )
        .order_by("event_type")
    )


@dataclass(frozen=True)
class ProjectionLag:
    projection: str
    head: int
    checkpoint: int
    lag: int
    updated_at: dt.datetime | None
    lag_unchanged_since: dt.datetime | None
    open_alerts: list[str]

    def to_dict(self) -> dict:
        return {
            "projection": self.projection,
            "head": self.head,
            "checkpoint": self.checkpoint,
            "lag": self.lag,
            "updated_at": self.updated_at.isoformat() if self.updated_at else None,
            "lag_unchanged_since": (
                self.lag_unchanged_since.isoformat() if self.lag_unchanged_since else None
            ),
            "open_alerts": self.open_alerts,
        }


def projection_lag() -> list[ProjectionLag]:
    """Head position − checkpoint for each projection (rebuild checkpoints included)."""
    head = DomainEvent.objects.aggregate(m=Max("position"))["m"] or 0
    checkpoints = {c.name: c for c in ProjectionCheckpoint.objects.all()}
    checkpoints.setdefault("members", None)
    out = []
    for name in sorted(checkpoints):
        cp = checkpoints[name]
        position = cp.position if cp else 0
        out.append(
            ProjectionLag(
                projection=name,
                head=head,
                checkpoint=position,
                lag=max(head - position, 0),
                updated_at=cp.updated_at if cp else None,
                lag_unchanged_since=cp.lag_since if cp else None,
                open_alerts=sorted(
                    ProjectionLagAlert.objects.filter(
                        projection=name, resolved_at__isnull=True
                    ).values_list("kind", flat=True)
                ),
            )
        )
    return out


@dataclass(frozen=True)
class ReversalChange:
    """What reversing a batch changes for one member: its events and coverages."""

    aggregate_id: str
    events: dict[str, int]  # event type -> how many
    coverages: tuple[str, ...]  # insurance lines (HD03) whose enrollment changes


def reversal_preview(batch_id: int, *, limit: int = 200) -> tuple[list[ReversalChange], int]:
    """The members (at most ``limit``) whose events reversing ``batch_id`` compensates, and
    how many members in all."""
    rows = (
        DomainEvent.objects.filter(batch_id=batch_id, is_reversal=False)
        .annotate(coverage=KT("data__coverage_key"))
        .values_list("aggregate_id", "event_type", "coverage")
        .order_by("aggregate_id", "position")
    )
    events: dict[str, dict[str, int]] = {}
    coverages: dict[str, dict[str, None]] = {}
    for aggregate_id, event_type, coverage in rows.iterator(chunk_size=5000):
        per = events.setdefault(aggregate_id, {})
        per[event_type] = per.get(event_type, 0) + 1
        if coverage:
            coverages.setdefault(aggregate_id, {})[coverage] = None
    changes = [
        ReversalChange(
            aggregate_id=aggregate_id,
            events=counts,
            coverages=tuple(coverages.get(aggregate_id, {})),
        )
        for aggregate_id, counts in list(events.items())[:limit]
    ]
    return changes, len(events)


def member_labels(aggregate_ids: list[str]) -> dict[str, str]:
    """ "LAST, First — subscriber S (19 Child)" per member (PHI: callers check
    ``eventstore.view_member``)."""
    out = {}
    rows = Member.objects.filter(aggregate_id__in=aggregate_ids).values_list(
        "aggregate_id", "last_name", "first_name", "subscriber_id", "relationship"
    )
    for aggregate_id, last, first, subscriber, relationship in rows:
        name = ", ".join(part for part in (last, first) if part) or "(no name)"
        out[aggregate_id] = (
            f"{name} — subscriber {subscriber} ({label(RELATIONSHIP, relationship) or '?'})"
        )
    return out
