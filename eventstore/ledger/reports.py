"""The ledger's reports (listed on the admin report page, each with a CSV download).

Each is one entry of the report registry (:mod:`edi_platform.core.reports`): a builder
returning (header, rows) from the selectors, and the permissions needed to see it —
``eventstore.view_domainevent`` for all of them, and ``eventstore.view_member`` as well for
the one that lists people (PHI).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest

from edi_platform.core.params import int_param
from edi_platform.core.reports import Report, register_report
from eventstore.ledger import selectors

VIEW_EVENTS = "eventstore.view_domainevent"
VIEW_MEMBER = "eventstore.view_member"
SECTION = "Event store"


def _active_enrollments(request: HttpRequest) -> tuple[list[str], Iterable[list[Any]]]:
    header = [
        "partner",
        "subscriber id",
        "relationship",
        "last name",
        "first name",
        "coverage",
        "plan",
        "level",
        "benefit begin",
        "benefit end",
    ]
    qs = selectors.active_enrollments(partner_code=request.GET.get("partner", ""))
    rows = (
        [
            e.member.partner_code,
            e.member.subscriber_id,
            e.member.relationship,
            e.member.last_name,
            e.member.first_name,
            e.coverage_key,
            e.plan,
            e.coverage_level,
            e.benefit_begin,
            e.benefit_end or "",
        ]
        for e in qs.iterator(chunk_size=2000)
    )
    return header, rows


def _event_stream(request: HttpRequest) -> tuple[list[str], Iterable[list[Any]]]:
    header = [
        "position",
        "event type",
        "aggregate",
        "version",
        "batch",
        "file",
        "partner",
        "ST02",
        "INS position",
        "occurred",
        "recorded",
        "reversal",
    ]
    qs = selectors.event_stream(
        batch_id=int_param(request.GET.get("batch")),
        event_type=request.GET.get("type", ""),
        aggregate_id=request.GET.get("aggregate", ""),
    )
    rows = (
        [
            e.position,
            e.event_type,
            e.aggregate_id,
            e.aggregate_version,
            e.batch_id or "",
            e.batch.original_name if e.batch_id else "",
            e.batch.partner.code if e.batch_id and e.batch.partner_id else "",
            e.header.st02 if e.header_id else "",
            e.metadata.get("ins_position", ""),
            e.occurred_at,
            e.recorded_at,
            "yes" if e.is_reversal else "",
        ]
        for e in qs.iterator(chunk_size=2000)
    )
    return header, rows


def _batch_summary(request: HttpRequest) -> tuple[list[str], Iterable[list[Any]]]:
    header = [
        "batch",
        "file",
        "partner",
        "channel",
        "status",
        "received",
        "sets accepted",
        "sets rejected",
        "events",
        "reversal events",
        "members",
        "positions",
        "processing ms",
    ]
    rows = (
        [
            b.pk,
            b.original_name,
            b.partner.code if b.partner_id else "",
            b.channel,
            b.status,
            b.received_at,
            b.sets_accepted,
            b.sets_rejected,
            b.event_count,
            b.reversal_count,
            b.members_touched,
            f"{b.first_position}..{b.last_position}" if b.first_position else "",
            b.processing_ms if b.processing_ms is not None else "",
        ]
        for b in selectors.batch_processing_summary().iterator(chunk_size=2000)
    )
    return header, rows


def _event_types(request: HttpRequest) -> tuple[list[str], Iterable[list[Any]]]:
    header = ["event type", "count", "schema versions", "first recorded", "last recorded"]
    rows = (
        [
            r["event_type"],
            r["count"],
            f"{r['min_schema']}..{r['max_schema']}",
            r["first_recorded"],
            r["last_recorded"],
        ]
        for r in selectors.event_type_statistics()
    )
    return header, rows


def _projection_lag(request: HttpRequest) -> tuple[list[str], Iterable[list[Any]]]:
    header = [
        "projection",
        "head",
        "checkpoint",
        "lag",
        "updated",
        "lag unchanged since",
        "open alerts",
    ]
    rows = (
        [
            r.projection,
            r.head,
            r.checkpoint,
            r.lag,
            r.updated_at,
            r.lag_unchanged_since,
            ", ".join(r.open_alerts),
        ]
        for r in selectors.projection_lag()
    )
    return header, rows


register_report(
    Report(
        slug="active-enrollments",
        title="Active enrollments",
        section=SECTION,
        permissions=(VIEW_EVENTS, VIEW_MEMBER),
        build=_active_enrollments,
        description="Coverages active today, by member (PHI). Filter: ?partner=CODE.",
    )
)
register_report(
    Report(
        slug="event-stream",
        title="Event stream with batch context",
        section=SECTION,
        permissions=(VIEW_EVENTS,),
        build=_event_stream,
        description="Events in position order. Filters: ?batch=ID, ?type=TYPE, ?aggregate=ID.",
    )
)
register_report(
    Report(
        slug="batch-summary",
        title="Batch processing summary",
        section=SECTION,
        permissions=(VIEW_EVENTS,),
        build=_batch_summary,
    )
)
register_report(
    Report(
        slug="event-types",
        title="Event type statistics",
        section=SECTION,
        permissions=(VIEW_EVENTS,),
        build=_event_types,
    )
)
register_report(
    Report(
        slug="projection-lag",
        title="Projection lag",
        section=SECTION,
        permissions=(VIEW_EVENTS,),
        build=_projection_lag,
    )
)
