"""The 834 routing handler: one accepted 834 transaction set → domain events (one transaction).

Registered in ``EventStoreConfig.ready()`` with ``inbound_hooks.register_handler("834", ...)``.
Events describe CHANGES: the handler folds each member's current state (snapshot + later
events) and emits only what differs, so a re-sent file (or a re-routed set) adds no events.
A set that has already produced events is not applied again. 030 (audit or compare) members
and BGN08 = 4 (verify) sets produce a :class:`ReconciliationReport` and never events: a member
missing from a full audit file is reported, not terminated.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.files.storage import storages
from django.db import transaction
from django.utils import timezone

from edi_platform.x12.reader import decode
from edi_platform.x12.segments import Segment
from eventstore.inbound.hooks import RoutedSet, RoutingError
from eventstore.ledger.events.aggregate import (
    EventRecord,
    NeedsFullFold,
    apply,
    empty_state,
    fold,
)
from eventstore.ledger.events.mapping_834 import (
    Mapping834Error,
    MemberLoop,
    Parsed834,
    member_aggregate_id,
    parse_834,
    person_key,
)
from eventstore.ledger.events.schemas import ENROLLMENT_CHANGE_FIELDS, MEMBER_CHANGE_FIELDS
from eventstore.ledger.events.upcasting import upcast_state
from eventstore.ledger.services.events import (
    ConcurrencyError,
    EventValidationError,
    NewEvent,
    aggregates_snapshots_and_events,
    events_append,
)
from eventstore.models import (
    DomainEvent,
    Member,
    ReconciliationReport,
    TransactionHeader,
)

logger = logging.getLogger(__name__)

# Member facts compared for changes; INS04 (reason) alone is not a change.
_DIFF_MEMBER_FIELDS = tuple(k for k in MEMBER_CHANGE_FIELDS if k != "maintenance_reason")
_DIFF_ENROLLMENT_FIELDS = tuple(k for k in ENROLLMENT_CHANGE_FIELDS if k != "maintenance_reason")
_ADDRESS_KEYS = {
    "address_line1": "line1",
    "address_line2": "line2",
    "city": "city",
    "state": "state",
    "postal_code": "postal_code",
}


@dataclass
class Apply834Result:
    events: int = 0
    members: int = 0
    unchanged: int = 0
    unknown_terminations: int = 0
    reconciliation_id: int | None = None
    already_applied: bool = False
    appended: list = field(default_factory=list)

    def text(self) -> str:
        """Routing result for the header: counts only (no PHI)."""
        if self.already_applied:
            return f"834 already applied ({self.events} events)"
        parts = [f"834: {self.events} events for {self.members} members"]
        if self.unchanged:
            parts.append(f"{self.unchanged} unchanged")
        if self.unknown_terminations:
            parts.append(f"{self.unknown_terminations} changes for unknown members ignored")
        if self.reconciliation_id:
            parts.append(f"reconciliation report {self.reconciliation_id}")
        return "; ".join(parts)


def handle_834(routed: RoutedSet) -> str:
    """Inbound routing handler for ST01 = 834 (contract: returns text, raises on failure).

    Mapping, schema and concurrency failures are re-raised as
    :class:`~eventstore.inbound.hooks.RoutingError` whose message (positions and element
    names only) the batch records as the reason. ``routed.fresh_header``: see
    :func:`enrollment_834_apply`.
    """
    try:
        return enrollment_834_apply(
            header=routed.header, segments=routed.segments, fresh_header=routed.fresh_header
        ).text()
    except (Mapping834Error, EventValidationError, ConcurrencyError) as exc:
        raise RoutingError(f"834 not applied: {exc}") from exc


def read_set_segments(header: TransactionHeader) -> list[Segment]:
    """Re-read one set (ST..SE) from the raw file in the inbound storage."""
    storage = storages["inbound"]
    with storage.open(header.batch.storage_path, "rb") as handle:
        isa = handle.read(106)
        handle.seek(header.start_offset)
        raw = handle.read(header.end_offset - header.start_offset)
    return split_segments(raw, isa=isa)


def split_segments(raw: bytes, *, isa: bytes) -> list[Segment]:
    """Split ST..SE bytes using the delimiters of the file's ISA (decoded as the x12 reader
    does: latin-1, so byte offsets, with NUL read as U+FFFD)."""
    text_isa = decode(isa)
    element, terminator = text_isa[3], text_isa[105]
    segments = []
    for index, piece in enumerate(decode(raw).split(terminator), start=1):
        piece = piece.strip("\r\n")
        if not piece:
            continue
        parts = piece.split(element)
        segments.append(Segment(id=parts[0], elements=parts[1:], index=index))
    return segments


def _occurred_at(parsed: Parsed834, header: TransactionHeader) -> dt.datetime:
    """BGN03 date + BGN04 time (file creation), else when the set was recorded."""
    raw_date = parsed.header.get("file_date", "")
    raw_time = (parsed.header.get("file_time", "") + "000000")[:6]
    try:
        return dt.datetime(
            int(raw_date[:4]),
            int(raw_date[4:6]),
            int(raw_date[6:8]),
            int(raw_time[:2]),
            int(raw_time[2:4]),
            int(raw_time[4:6]),
            tzinfo=dt.UTC,
        )
    except ValueError:
        return header.created_at or timezone.now()


def load_member_states(aggregate_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Current fold state of many members: latest snapshot + later events, in bulk."""
    snapshots, streams = aggregates_snapshots_and_events(aggregate_ids)
    states = {}
    for aggregate_id, records in streams.items():
        snap = snapshots.get(aggregate_id)
        if snap is not None:
            try:
                states[aggregate_id] = fold(
                    [r for r in records if r.version > snap.version],
                    upcast_state(snap.state_version, snap.state),
                )
                continue
            except NeedsFullFold:
                pass
        states[aggregate_id] = fold(records)
    return states


def _member_facts(loop: MemberLoop) -> dict[str, Any]:
    f = loop.fields
    facts: dict[str, Any] = {
        "is_subscriber": loop.is_subscriber,
        "relationship": f.get("relationship", ""),
    }
    for key in MEMBER_CHANGE_FIELDS:
        if key in f:
            facts[key] = f[key]
    return facts


def _member_added(partner_code: str, loop: MemberLoop) -> dict[str, Any]:
    f = loop.fields
    data: dict[str, Any] = {
        "partner_code": partner_code,
        "subscriber_id": f["subscriber_id"],
        "member_ref": f.get("member_ref", ""),
        "is_subscriber": loop.is_subscriber,
        "relationship": f.get("relationship", ""),
        "name": {
            "last": f.get("last_name", ""),
            "first": f.get("first_name", ""),
            "middle": f.get("middle_name", ""),
        },
        "address": {new: f.get(old, "") for old, new in _ADDRESS_KEYS.items()},
    }
    for key in (
        "birth_date",
        "gender",
        "group_policy",
        "benefit_status",
        "maintenance_reason",
        "eligibility_begin",
        "eligibility_end",
    ):
        if key in f:
            data[key] = f[key]
    return data


class _SetMapper:
    """Turns the member loops of one set into events, folding them as it goes."""

    def __init__(self, *, partner_code: str, states: dict[str, dict], file_date: str) -> None:
        self.partner_code = partner_code
        self.states = states
        self.file_date = file_date
        self.out: list[tuple[str, str, dict, MemberLoop]] = []
        self._pending_position = 0

    def emit(self, aggregate_id: str, event_type: str, data: dict, loop: MemberLoop) -> None:
        self.out.append((aggregate_id, event_type, data, loop))
        # Fold it at once: the same member may appear again later in the set.
        self._pending_position += 1
        state = self.states[aggregate_id]
        apply(
            state,
            EventRecord(
                position=-self._pending_position,
                aggregate_id=aggregate_id,
                version=state["version"] + 1,
                event_type=event_type,
                data=data,
            ),
        )
        state["version"] += 1

    def member(self, aggregate_id: str, loop: MemberLoop) -> str:
        """Events for one INS loop; returns 'events', 'unchanged' or 'unknown'."""
        state = self.states[aggregate_id]
        before = len(self.out)
        kind = loop.maintenance_type
        facts = _member_facts(loop)
        reason = loop.fields.get("maintenance_reason", "")
        if kind in ("021", "001", "025"):
            if not state["exists"]:
                if kind == "025" or not loop.fields.get("last_name"):
                    return "unknown"
                self.emit(aggregate_id, "MemberAdded", _member_added(self.partner_code, loop), loop)
            else:
                if state["member"]["terminated"]:
                    data = {"maintenance_reason": reason} if reason else {}
                    if facts.get("eligibility_begin"):
                        data["eligibility_begin"] = facts["eligibility_begin"]
                    self.emit(aggregate_id, "MemberReinstated", data, loop)
                changes = {
                    k: facts[k]
                    for k in _DIFF_MEMBER_FIELDS
                    if k in facts and state["member"].get(k) != facts[k]
                }
                if changes:
                    if reason:
                        changes["maintenance_reason"] = reason
                    self.emit(aggregate_id, "MemberChanged", {"changes": changes}, loop)
            for coverage in loop.coverages:
                self.coverage(aggregate_id, loop, coverage.fields)
            if kind == "025":
                self._reinstate_all(aggregate_id, loop)
        elif kind == "024":
            if not state["exists"]:
                return "unknown"
            term_date = (
                loop.fields.get("eligibility_end")
                or loop.fields.get("maintenance_effective")
                or next(
                    (c.fields["benefit_end"] for c in loop.coverages if "benefit_end" in c.fields),
                    None,
                )
                or self.file_date
            )
            for coverage in loop.coverages:
                self.coverage(
                    aggregate_id,
                    loop,
                    {**coverage.fields, "maintenance_type": "024"},
                    default_end=term_date,
                )
            for key, enrollment in sorted(state["enrollments"].items()):
                if not enrollment["terminated"]:
                    data = {"coverage_key": key, "benefit_end": term_date}
                    if reason:
                        data["maintenance_reason"] = reason
                    self.emit(aggregate_id, "EnrollmentTerminated", data, loop)
            member = state["member"]
            if not member["terminated"] or member["eligibility_end"] != term_date:
                data = {"terminated_on": term_date}
                if reason:
                    data["maintenance_reason"] = reason
                if loop.fields.get("benefit_status"):
                    data["benefit_status"] = loop.fields["benefit_status"]
                self.emit(aggregate_id, "MemberTerminated", data, loop)
        return "events" if len(self.out) > before else "unchanged"

    def _reinstate_all(self, aggregate_id: str, loop: MemberLoop) -> None:
        mentioned = {c.fields.get("insurance_line") for c in loop.coverages}
        for key, enrollment in sorted(self.states[aggregate_id]["enrollments"].items()):
            if enrollment["terminated"] and key not in mentioned:
                self.emit(aggregate_id, "EnrollmentReinstated", {"coverage_key": key}, loop)

    def coverage(
        self,
        aggregate_id: str,
        loop: MemberLoop,
        fields: dict[str, str],
        default_end: str | None = None,
    ) -> None:
        key = fields["insurance_line"]
        hd01 = fields.get("maintenance_type", "")
        reason = loop.fields.get("maintenance_reason", "")
        current = self.states[aggregate_id]["enrollments"].get(key)
        values = {
            "plan": fields.get("plan", ""),
            "coverage_level": fields.get("coverage_level", ""),
            "benefit_begin": fields.get("benefit_begin"),
            "benefit_end": fields.get("benefit_end"),
        }
        if hd01 == "030":
            return
        if hd01 == "024":
            end = fields.get("benefit_end") or default_end or self.file_date
            if current is not None and not (
                current["terminated"] and current["benefit_end"] == end
            ):
                data = {"coverage_key": key, "benefit_end": end}
                if reason:
                    data["maintenance_reason"] = reason
                self.emit(aggregate_id, "EnrollmentTerminated", data, loop)
            return
        if current is None:
            if not values["benefit_begin"]:
                raise Mapping834Error(
                    f"INS at segment {loop.ins_index}: DTP*348 benefit begin missing for a new "
                    "coverage"
                )
            data = {"coverage_key": key, **{k: v for k, v in values.items() if v is not None}}
            if reason:
                data["maintenance_reason"] = reason
            self.emit(aggregate_id, "EnrollmentAdded", data, loop)
            return
        if current["terminated"]:
            data = {"coverage_key": key}
            for k in ("benefit_begin", "benefit_end"):
                if values[k]:
                    data[k] = values[k]
            if reason:
                data["maintenance_reason"] = reason
            self.emit(aggregate_id, "EnrollmentReinstated", data, loop)
        changes = {
            k: v
            for k, v in values.items()
            if k in _DIFF_ENROLLMENT_FIELDS and v not in (None, "") and current.get(k) != v
        }
        if changes:
            if reason:
                changes["maintenance_reason"] = reason
            self.emit(
                aggregate_id, "EnrollmentChanged", {"coverage_key": key, "changes": changes}, loop
            )


def _reconcile(
    *,
    header: TransactionHeader,
    partner_code: str,
    audited: list[tuple[str, MemberLoop]],
    states: dict[str, dict],
    full_file: bool,
) -> ReconciliationReport:
    """Compare audit members with the current state: ids and field names only."""
    details: list[dict[str, Any]] = []
    matched = differing = missing_projection = 0
    for aggregate_id, loop in audited:
        state = states.get(aggregate_id) or empty_state()
        if not state["exists"]:
            missing_projection += 1
            details.append(
                {
                    "aggregate_id": aggregate_id,
                    "ins_position": loop.ins_index,
                    "kind": "missing_from_projection",
                }
            )
            continue
        facts = _member_facts(loop)
        fields = [
            k for k in _DIFF_MEMBER_FIELDS if k in facts and state["member"].get(k) != facts[k]
        ]
        for coverage in loop.coverages:
            key = coverage.fields["insurance_line"]
            current = state["enrollments"].get(key)
            if current is None:
                fields.append(f"coverage {key}: missing")
                continue
            for k in ("plan", "coverage_level", "benefit_begin", "benefit_end"):
                value = coverage.fields.get(k)
                if value and current.get(k) != value:
                    fields.append(f"coverage {key}: {k}")
        if fields:
            differing += 1
            details.append(
                {
                    "aggregate_id": aggregate_id,
                    "ins_position": loop.ins_index,
                    "kind": "differs",
                    "fields": fields,
                }
            )
        else:
            matched += 1
    missing_file = 0
    if full_file:
        in_file = {a for a, _ in audited}
        for aggregate_id in (
            Member.objects.filter(partner_code=partner_code, terminated=False)
            .values_list("aggregate_id", flat=True)
            .iterator()
        ):
            if aggregate_id not in in_file:
                missing_file += 1
                details.append({"aggregate_id": aggregate_id, "kind": "missing_from_file"})
    return ReconciliationReport.objects.create(
        batch_id=header.batch_id,
        header=header,
        partner_code=partner_code,
        members_in_file=len(audited),
        matched=matched,
        differing=differing,
        missing_from_projection=missing_projection,
        missing_from_file=missing_file,
        details=details,
    )


def enrollment_834_apply(
    *,
    header: TransactionHeader,
    segments: Sequence[Segment] | None = None,
    fresh_header: bool = False,
) -> Apply834Result:
    """Map one 834 set to events and append them in ONE transaction (or reconcile it).

    ``segments`` default to re-reading the set from the raw file. Raises
    :class:`Mapping834Error` (no events appended) when the set cannot be mapped.
    ``fresh_header=True``: the header row was inserted by the caller's still open
    transaction, so no other transaction can see it, route it or have applied it: the row
    lock and the "already applied" count are skipped, and no savepoint is taken (on an
    error the caller's transaction or savepoint undoes everything).
    """
    if segments is None:
        segments = read_set_segments(header)
    parsed = parse_834(segments)
    batch = header.batch
    partner_code = batch.partner.code if batch.partner_id else "UNKNOWN"
    occurred_at = _occurred_at(parsed, header)
    file_date = occurred_at.date().isoformat()
    verify_only = parsed.header.get("action_code") == "4"
    result = Apply834Result()
    with transaction.atomic(savepoint=not fresh_header):
        # The header row lock serialises concurrent (re)routings of the same set.
        done = 0
        if not fresh_header:
            TransactionHeader.objects.select_for_update().filter(pk=header.pk).first()
            done = DomainEvent.objects.filter(batch_id=header.batch_id, header_id=header.pk).count()
        if done:
            result.already_applied = True
            result.events = done
            return result
        keyed: list[tuple[str, MemberLoop]] = []
        for loop in parsed.members:
            aggregate_id = member_aggregate_id(
                partner_code, loop.fields["subscriber_id"], person_key(loop)
            )
            keyed.append((aggregate_id, loop))
        states = load_member_states([a for a, _ in keyed])
        expected = {a: s["version"] for a, s in states.items()}
        mapper = _SetMapper(partner_code=partner_code, states=states, file_date=file_date)
        audited: list[tuple[str, MemberLoop]] = []
        for aggregate_id, loop in keyed:
            if verify_only or loop.maintenance_type == "030":
                audited.append((aggregate_id, loop))
                continue
            outcome = mapper.member(aggregate_id, loop)
            result.members += 1
            if outcome == "unchanged":
                result.unchanged += 1
            elif outcome == "unknown":
                result.unknown_terminations += 1
        if audited:
            full_file = verify_only or len(audited) == len(keyed)
            # Compare with the state before this set's own events.
            report = _reconcile(
                header=header,
                partner_code=partner_code,
                audited=audited,
                states=load_member_states([a for a, _ in audited]),
                full_file=full_file,
            )
            result.reconciliation_id = report.pk
        correlation = str(uuid.uuid4())
        new_events = [
            NewEvent(
                aggregate_id=aggregate_id,
                event_type=event_type,
                data=data,
                metadata={
                    "batch_id": header.batch_id,
                    "header_id": header.pk,
                    "st02": header.st02,
                    "ins_position": loop.ins_index,
                    "ins_line": loop.ins_line,
                    "correlation_id": correlation,
                },
                occurred_at=occurred_at,
                batch_id=header.batch_id,
                header_id=header.pk,
            )
            for aggregate_id, event_type, data, loop in mapper.out
        ]
        touched = {e.aggregate_id for e in new_events}
        result.appended = events_append(
            events=new_events, expected_versions={a: expected[a] for a in touched}
        )
        result.events = len(result.appended)
    logger.info(
        "834 header %s: %d events, %d members, reconciliation %s",
        header.pk,
        result.events,
        result.members,
        result.reconciliation_id,
    )
    return result
