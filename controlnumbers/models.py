"""Control-number counters (ISA13 / GS06 / ST02), their append-only audit, and alerts.

Scope rule (see README "Control numbers"): ISA and GS counters are kept per partner, with
transaction type ``"*"``; ST counters per partner and transaction type. A partner whose
``control_number_scope`` is ``"transaction"`` gets the original per-transaction ISA/GS counters.

Epochs: every reset (or rollover) increments ``ControlNumberCounter.epoch`` and writes a RESET
audit row carrying the new epoch and the new value; every number issued afterwards carries that
epoch, so gap detection partitions by (counter, epoch) and a rollover 999,999,999 -> 1 is never
read as a gap.
"""

from __future__ import annotations

from django.db import models

MAX_CONTROL_NUMBER = 999_999_999
ALL_TRANSACTIONS = "*"


class CounterType(models.TextChoices):
    ISA = "ISA", "ISA13 interchange"
    GS = "GS", "GS06 group"
    ST = "ST", "ST02 transaction set"


# Fixed lock order: every allocation locks its counters sorted by this rank (then transaction
# type, then partner), so two concurrent callers can never wait on each other in a cycle.
COUNTER_TYPE_RANK = {CounterType.ISA: 0, CounterType.GS: 1, CounterType.ST: 2}


class AuditStatus(models.TextChoices):
    ISSUED = "ISSUED", "Issued"
    PERSISTED = "PERSISTED", "Persisted"
    FAILED = "FAILED", "Failed"
    RESET = "RESET", "Reset"
    REISSUED = "REISSUED", "Reissued"


# The only status moves an audit row may make (also enforced by a PostgreSQL trigger).
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    AuditStatus.ISSUED: frozenset({AuditStatus.PERSISTED, AuditStatus.FAILED}),
    AuditStatus.FAILED: frozenset({AuditStatus.REISSUED, AuditStatus.PERSISTED}),
}


class ControlNumberCounter(models.Model):
    """One sequence of control numbers for a partner / transaction type / counter type."""

    partner_code = models.CharField(max_length=15)
    transaction_type = models.CharField(
        max_length=8, help_text='"*" for partner-wide ISA/GS counters.'
    )
    counter_type = models.CharField(max_length=3, choices=CounterType)
    current_value = models.BigIntegerField(
        default=0, help_text="Last number issued in this epoch (0 = none yet)."
    )
    max_value = models.BigIntegerField(default=MAX_CONTROL_NUMBER)
    epoch = models.PositiveIntegerField(
        default=1, help_text="Incremented by every reset or rollover."
    )
    issued_count = models.BigIntegerField(
        default=0, help_text="Audit rows issued from this counter (all epochs)."
    )
    last_increment_at = models.DateTimeField(null=True, blank=True)
    last_file_name = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "control-number counter"
        ordering = ["partner_code", "transaction_type", "counter_type"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner_code", "transaction_type", "counter_type"],
                name="cn_counter_unique_key",
            ),
            models.CheckConstraint(
                condition=models.Q(current_value__gte=0)
                & models.Q(current_value__lte=models.F("max_value")),
                name="cn_counter_current_in_range",
            ),
            models.CheckConstraint(
                condition=models.Q(max_value__gte=1) & models.Q(max_value__lte=MAX_CONTROL_NUMBER),
                name="cn_counter_max_in_range",
            ),
            models.CheckConstraint(
                condition=models.Q(counter_type__in=["ISA", "GS", "ST"]),
                name="cn_counter_type_valid",
            ),
        ]
        permissions = [("reset_counter", "Can reset or roll over a control-number counter")]

    def __str__(self) -> str:
        return f"{self.partner_code}/{self.transaction_type}/{self.counter_type}"

    @property
    def utilization(self) -> float:
        """Percentage of ``max_value`` already used in this epoch."""
        return 100.0 * self.current_value / self.max_value if self.max_value else 100.0

    @property
    def remaining(self) -> int:
        return self.max_value - self.current_value


class ControlNumberAudit(models.Model):
    """One row per number issued (and one per reset). Append-only: see ALLOWED_TRANSITIONS."""

    # No database FK constraint: its per-row referential check cost almost half of a block
    # allocation (1,000 rows = 1,000 look-ups of the same counter row). Integrity holds without
    # it: audit rows get counter_id only from the UPDATE ... RETURNING of the locked counter row
    # in the same statement, and on PostgreSQL a trigger refuses to delete a counter that has
    # audit rows (migration 0002); the ORM keeps PROTECT.
    counter = models.ForeignKey(
        ControlNumberCounter,
        on_delete=models.PROTECT,
        related_name="audit_rows",
        db_index=False,  # every composite index below leads with counter_id
        db_constraint=False,
    )
    number = models.BigIntegerField()
    epoch = models.PositiveIntegerField()
    # The counter's issued_count after this row: ordinal of the row among the counter's rows.
    # Between two rows of one epoch, number difference == seq difference exactly when no
    # number in between is missing, which lets the gap report skip gap-free ranges with two
    # index probes instead of reading every row (NULL = unknown, e.g. imported rows).
    seq = models.BigIntegerField(null=True, blank=True)
    outbound_file_id = models.UUIDField(null=True, blank=True)
    issued_at = models.DateTimeField()
    retry_count = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(max_length=10, choices=AuditStatus, default=AuditStatus.ISSUED)
    notes = models.TextField(blank=True)
    actor = models.CharField(max_length=150, default="system", help_text='User name or "system".')
    file_name = models.CharField(max_length=255, blank=True)

    class Meta:
        verbose_name = "control-number audit row"
        ordering = ["-id"]
        constraints = [
            # The database guarantees what we promise: no number twice within an epoch.
            # Its index also serves (counter, number) look-ups, and look-ups by number alone
            # as counter_id = ANY(all counters) AND number = N (the counter table is small).
            models.UniqueConstraint(
                fields=["counter", "number", "epoch"], name="cn_audit_unique_number"
            ),
            models.CheckConstraint(condition=models.Q(number__gte=0), name="cn_audit_number_gte0"),
            models.CheckConstraint(
                condition=models.Q(status__in=[s.value for s in AuditStatus]),
                name="cn_audit_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(status="RESET") | models.Q(outbound_file_id__isnull=False),
                name="cn_audit_file_id_unless_reset",
            ),
        ]
        indexes = [
            models.Index(fields=["outbound_file_id"], name="cn_audit_file_id"),
            # Gap report window and "allocations in the last hour": an index-only range scan.
            # "Allocations in the last hour", date filters.
            models.Index(fields=["counter", "issued_at"], name="cn_audit_counter_issued"),
            # Gap report: first / last row of a (counter, epoch) in the window, index-only.
            # (Key columns rather than INCLUDE: SQLite has no INCLUDE.)
            models.Index(
                fields=["counter", "epoch", "issued_at", "number", "seq"],
                name="cn_audit_counter_epoch_issued",
            ),
            # Documented gaps (FAILED numbers) are few: a small partial index finds them.
            models.Index(
                fields=["counter", "epoch", "number"],
                condition=models.Q(status="FAILED"),
                name="cn_audit_failed",
            ),
        ]
        permissions = [("close_gap", "Can close documented gaps (FAILED -> PERSISTED)")]

    def __str__(self) -> str:
        return f"{self.counter_id}#{self.number} ({self.status})"


class AlertSeverity(models.TextChoices):
    MINOR = "MINOR", "Minor"
    MODERATE = "MODERATE", "Moderate"
    WARNING = "WARNING", "Warning"
    CRITICAL = "CRITICAL", "Critical"


class AlertKind(models.TextChoices):
    GAP = "gap", "Gap"
    UTILIZATION = "utilization", "Utilization / rollover"


class ControlNumberAlert(models.Model):
    """A finding of the scheduled checks; one open row per finding (``key``) while it lasts."""

    kind = models.CharField(max_length=12, choices=AlertKind)
    key = models.CharField(max_length=200, help_text="Identifies the finding for deduplication.")
    severity = models.CharField(max_length=10, choices=AlertSeverity)
    message = models.CharField(max_length=500)
    counter = models.ForeignKey(
        ControlNumberCounter, null=True, blank=True, on_delete=models.SET_NULL
    )
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    occurrences = models.PositiveIntegerField(default=1)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "control-number alert"
        ordering = ["-last_seen"]
        constraints = [
            models.UniqueConstraint(
                fields=["key"],
                condition=models.Q(resolved_at__isnull=True),
                name="cn_alert_one_open_per_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.severity}: {self.message}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None
