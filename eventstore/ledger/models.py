"""Enrollment event log (issue 6): domain events, positions, projections, snapshots, audits.

The log is append-only. ``DomainEvent.position`` is the global order: gap-free and
commit-ordered because every append transaction takes the single row of
:class:`PositionCounter` (row lock held until commit) and takes a contiguous block from it. A
rolled-back append rolls the counter back too, so no hole is ever left, and the next appender
cannot obtain positions before the previous one has committed, so positions become visible in
order: a reader that has seen position n has seen every position below n.

Member and Enrollment are projections (derived state, rebuilt by ``replay_events``). They hold
PHI and are visible only with ``eventstore.view_member``.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Case, Q, Value, When
from django.db.models.fields.json import KT
from django.db.models.functions import Upper
from django.utils import timezone

from eventstore.inbound.models import TransactionBatch, TransactionHeader
from eventstore.ledger import codes

EVENTS_COUNTER = "events"


class PositionCounter(models.Model):
    """One row per log holding its last assigned position (the append lock)."""

    name = models.CharField(max_length=40, primary_key=True)
    last_position = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "position counter"

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_position}"


class DomainEvent(models.Model):
    """One immutable domain event. On PostgreSQL a trigger rejects UPDATE and DELETE."""

    position = models.BigIntegerField(primary_key=True)
    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    aggregate_type = models.CharField(max_length=40)
    aggregate_id = models.CharField(max_length=64)
    aggregate_version = models.PositiveIntegerField()
    # Not indexed: every index is maintained on each append. Reports group by type over the
    # whole log anyway; member lookups by subscriber id use the partial index below.
    event_type = models.CharField(max_length=60)
    schema_version = models.PositiveSmallIntegerField(default=1)
    data = models.JSONField(default=dict)
    metadata = models.JSONField(
        default=dict, help_text="Batch, transaction set, INS position, correlation id. No PHI."
    )
    # One (batch, header) index serves both "events of a batch" and "events of a set"
    # (queries pass the header's batch too) instead of an index each.
    # No row-level FOREIGN KEY constraints (db_constraint=False): on PostgreSQL one
    # statement-level trigger checks (and key-share locks) the distinct batches, headers and
    # reversed events of each INSERT/COPY, and delete triggers protect referenced batches and
    # headers (migration 0009). Row-level FK checks cost more than the insert itself.
    batch = models.ForeignKey(
        TransactionBatch,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
        db_index=False,
        db_constraint=False,
    )
    header = models.ForeignKey(
        TransactionHeader,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
        db_index=False,
        db_constraint=False,
    )
    occurred_at = models.DateTimeField(help_text="When it happened, from the file (BGN03/04).")
    recorded_at = models.DateTimeField(default=timezone.now)
    is_reversal = models.BooleanField(default=False)
    # At most one reversal per event: a partial unique index (constraints below), so the
    # ordinary events, NULL here, add nothing to it.
    reverses = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
        db_index=False,
        db_constraint=False,
    )

    class Meta:
        ordering = ["position"]
        indexes = [
            models.Index(fields=["batch", "header"], name="event_batch_header"),
            # members_for_subscriber: MemberAdded events by subscriber id, a small share of the
            # log; the partial index costs ordinary appends nothing.
            models.Index(
                KT("data__subscriber_id"),
                condition=Q(event_type="MemberAdded"),
                name="event_member_added_subscriber",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["aggregate_id", "aggregate_version"], name="event_aggregate_version"
            ),
            models.UniqueConstraint(
                fields=["reverses"],
                condition=Q(reverses__isnull=False),
                name="event_reversed_once",
            ),
            models.CheckConstraint(condition=Q(position__gt=0), name="event_position_positive"),
            models.CheckConstraint(
                condition=Q(is_reversal=False, reverses__isnull=True)
                | Q(is_reversal=True, reverses__isnull=False),
                name="event_reversal_consistent",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.position} {self.event_type} v{self.aggregate_version}"


class EnrollmentStatus(models.TextChoices):
    ACTIVE = "ACTIVE", "Active"
    FUTURE = "FUTURE", "Future"
    TERMINATED = "TERMINATED", "Terminated"


def status_for(begin: dt.date | None, end: dt.date | None, today: dt.date) -> str:
    """ACTIVE / FUTURE / TERMINATED from coverage dates as of ``today``."""
    if end is not None and end < today:
        return EnrollmentStatus.TERMINATED
    if begin is not None and begin > today:
        return EnrollmentStatus.FUTURE
    if begin is None and end is None:
        return EnrollmentStatus.TERMINATED
    return EnrollmentStatus.ACTIVE


def status_expression(begin: str, end: str, today: dt.date) -> Case:
    """The same rule as :func:`status_for`, as a database expression (for filters and sorts)."""
    return Case(
        When(**{f"{end}__lt": today}, then=Value(EnrollmentStatus.TERMINATED)),
        When(**{f"{begin}__gt": today}, then=Value(EnrollmentStatus.FUTURE)),
        When(**{f"{begin}__isnull": True, f"{end}__isnull": True}, then=Value("TERMINATED")),
        default=Value(EnrollmentStatus.ACTIVE),
        output_field=models.CharField(),
    )


class MemberBase(models.Model):
    """Member projection columns (shared by the live table and the rebuild table)."""

    aggregate_id = models.CharField(max_length=64, primary_key=True)
    partner_code = models.CharField(max_length=15, db_index=True)
    subscriber_id = models.CharField("subscriber id (REF*0F)", max_length=80, db_index=True)
    member_ref = models.CharField("member ref (REF*23)", max_length=80, blank=True)
    is_subscriber = models.BooleanField(default=True)
    relationship = models.CharField(
        "relationship (INS02)", max_length=2, blank=True, choices=codes.RELATIONSHIP_CHOICES
    )
    last_name = models.CharField(max_length=60, blank=True, db_index=True)
    first_name = models.CharField(max_length=35, blank=True)
    middle_name = models.CharField(max_length=25, blank=True)
    birth_date = models.DateField(null=True, blank=True)
    gender = models.CharField(max_length=1, blank=True, choices=codes.GENDER_CHOICES)
    address_line1 = models.CharField(max_length=55, blank=True)
    address_line2 = models.CharField(max_length=55, blank=True)
    city = models.CharField(max_length=30, blank=True)
    state = models.CharField(max_length=2, blank=True)
    postal_code = models.CharField(max_length=15, blank=True)
    group_policy = models.CharField("group/policy (REF*1L)", max_length=50, blank=True)
    benefit_status = models.CharField(
        "benefit status (INS05)", max_length=1, blank=True, choices=codes.BENEFIT_STATUS_CHOICES
    )
    maintenance_reason = models.CharField(
        "last reason (INS04)",
        max_length=3,
        blank=True,
        choices=codes.MAINTENANCE_REASON_CHOICES,
    )
    terminated = models.BooleanField(default=False)
    eligibility_begin = models.DateField(null=True, blank=True)
    eligibility_end = models.DateField(null=True, blank=True)
    coverage_begin = models.DateField(null=True, blank=True)
    coverage_end = models.DateField(null=True, blank=True)
    version = models.PositiveIntegerField(default=0, help_text="Aggregate version applied.")
    last_position = models.BigIntegerField(default=0, help_text="Last event position applied.")

    class Meta:
        abstract = True

    def __str__(self) -> str:
        # The aggregate id is a keyed hash: it names the row without PHI.
        return f"member {self.aggregate_id[:14]}"

    def status(self, today: dt.date | None = None) -> str:
        return status_for(self.coverage_begin, self.coverage_end, today or timezone.localdate())


class Member(MemberBase):
    class Meta:
        ordering = ["partner_code", "subscriber_id", "relationship"]
        indexes = [
            # Eligibility lookups (eventstore.ledger.lookup): a person by last name and birth
            # date when an inquiry has no member id, and by member-level id (REF*23), which
            # most members do not have (partial: the blank ones cost nothing).
            models.Index(Upper("last_name"), "birth_date", name="member_name_birth"),
            models.Index(fields=["member_ref"], condition=~Q(member_ref=""), name="member_ref_set"),
        ]


class MemberRebuild(MemberBase):
    """Shadow table filled by ``replay_events`` and copied into ``Member`` at the swap."""

    class Meta:
        verbose_name = "member (rebuild)"


class EnrollmentBase(models.Model):
    """Enrollment projection columns: one coverage (HD03 insurance line) of one member."""

    coverage_key = models.CharField(
        "insurance line (HD03)", max_length=3, choices=codes.INSURANCE_LINE_CHOICES
    )
    plan = models.CharField("plan (HD04)", max_length=50, blank=True)
    coverage_level = models.CharField(
        "coverage level (HD05)", max_length=3, blank=True, choices=codes.COVERAGE_LEVEL_CHOICES
    )
    benefit_begin = models.DateField(null=True, blank=True)
    benefit_end = models.DateField(null=True, blank=True)
    terminated = models.BooleanField(default=False)
    maintenance_reason = models.CharField(
        "last reason (INS04)",
        max_length=3,
        blank=True,
        choices=codes.MAINTENANCE_REASON_CHOICES,
    )
    version = models.PositiveIntegerField(default=0)
    last_position = models.BigIntegerField(default=0)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.coverage_key} enrollment"

    def status(self, today: dt.date | None = None) -> str:
        return status_for(self.benefit_begin, self.benefit_end, today or timezone.localdate())


class Enrollment(EnrollmentBase):
    # No database FK constraint: the rebuild swap replaces both tables in one transaction.
    member = models.ForeignKey(
        Member, on_delete=models.DO_NOTHING, db_constraint=False, related_name="enrollments"
    )

    class Meta:
        ordering = ["member_id", "coverage_key"]
        constraints = [
            models.UniqueConstraint(fields=["member", "coverage_key"], name="enrollment_unique")
        ]


class EnrollmentRebuild(EnrollmentBase):
    member = models.ForeignKey(
        MemberRebuild,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="enrollments",
    )

    class Meta:
        verbose_name = "enrollment (rebuild)"
        constraints = [
            models.UniqueConstraint(
                fields=["member", "coverage_key"], name="enrollment_rebuild_unique"
            )
        ]


class ProjectionCheckpoint(models.Model):
    """How far a projection has applied the log; written in the same transaction as its rows."""

    name = models.CharField(max_length=40, primary_key=True)
    position = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)
    # Stuck-lag detection: the lag seen by the last check and since when it has not changed.
    last_lag = models.BigIntegerField(default=0)
    lag_since = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.name} @ {self.position}"


class EventSnapshot(models.Model):
    """Folded aggregate state at a version (loading = latest snapshot + later events)."""

    aggregate_id = models.CharField(max_length=64)
    aggregate_version = models.PositiveIntegerField()
    position = models.BigIntegerField()
    state_version = models.PositiveSmallIntegerField(default=1)
    state = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["aggregate_id", "-aggregate_version"]
        constraints = [
            models.UniqueConstraint(
                fields=["aggregate_id", "aggregate_version"], name="snapshot_aggregate_version"
            )
        ]

    def __str__(self) -> str:
        return f"snapshot {self.aggregate_id[:14]} v{self.aggregate_version}"


class ReconciliationReport(models.Model):
    """Differences between a 030 audit / verify 834 and the projections. Never terminates."""

    batch = models.ForeignKey(
        TransactionBatch, on_delete=models.PROTECT, related_name="reconciliations"
    )
    header = models.ForeignKey(
        TransactionHeader,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reconciliations",
    )
    partner_code = models.CharField(max_length=15, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    members_in_file = models.PositiveIntegerField(default=0)
    matched = models.PositiveIntegerField(default=0)
    differing = models.PositiveIntegerField(default=0)
    missing_from_projection = models.PositiveIntegerField(default=0)
    missing_from_file = models.PositiveIntegerField(default=0)
    details = models.JSONField(
        default=list, blank=True, help_text="Aggregate ids and field names only (no PHI)."
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"reconciliation {self.pk} (batch {self.batch_id})"


class LagAlertKind(models.TextChoices):
    LAG = "LAG", "Lag above threshold"
    STUCK = "STUCK", "Lag not moving"


class ProjectionLagAlert(models.Model):
    """An open (or resolved) alert about a projection falling behind the log."""

    projection = models.CharField(max_length=40)
    kind = models.CharField(max_length=5, choices=LagAlertKind)
    head_position = models.BigIntegerField()
    checkpoint_position = models.BigIntegerField()
    lag = models.BigIntegerField()
    raised_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-raised_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["projection", "kind"],
                condition=Q(resolved_at__isnull=True),
                name="lag_alert_one_open",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} alert on {self.projection} (lag {self.lag})"


class BatchReversal(models.Model):
    """A reversed batch: once per batch; the compensating events form their own system batch."""

    batch = models.OneToOneField(
        TransactionBatch, on_delete=models.PROTECT, related_name="reversal"
    )
    reversal_batch = models.OneToOneField(
        TransactionBatch, on_delete=models.PROTECT, related_name="reversal_of"
    )
    reason = models.TextField()
    acting_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True
    )
    actor = models.CharField(max_length=150, help_text="Username or 'command'.")
    events_reversed = models.PositiveIntegerField(default=0)
    first_position = models.BigIntegerField(null=True, blank=True)
    last_position = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        permissions = [("reverse_batch", "Can reverse an inbound enrollment batch")]

    def __str__(self) -> str:
        return f"reversal of batch {self.batch_id}"
