"""Outcomes to answer, batch windows, outbound files and the transactional outbox."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

# The Redis stream every 'file ready' message goes to (an outbox row's default stream)
OUTBOX_STREAM = "edi-outbound-ready"

# Response types are not a fixed list here: each is declared by its module in
# ``outbound/responders/`` (the registry), so a new one needs no migration.


class BatchWindow(models.Model):
    """How long outcomes of one response type wait to be batched into one file."""

    response_type = models.CharField(max_length=8, unique=True)
    window_minutes = models.PositiveIntegerField(help_text="0 = assemble immediately.")
    max_batch_size = models.PositiveIntegerField(default=100)
    priority = models.PositiveSmallIntegerField(default=100, help_text="Lower runs first.")
    sla_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text="Age at which a pending outcome breaches its SLA."
    )
    enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["priority", "response_type"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(max_batch_size__gte=1), name="batchwindow_max_batch_size_min"
            )
        ]

    def __str__(self) -> str:
        return f"{self.response_type}: {self.window_minutes} min"


class OutcomeStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    CLAIMED = "CLAIMED", "Claimed"
    ASSEMBLED = "ASSEMBLED", "Assembled"
    FAILED = "FAILED", "Failed"


class ProcessingOutcome(models.Model):
    """A response we owe a partner (TA1, 999, 271, 277CA, 835), staged by inbound processing."""

    partner = models.ForeignKey(
        "partners.TradingPartner", on_delete=models.PROTECT, related_name="outcomes"
    )
    response_type = models.CharField(max_length=8)
    batch = models.ForeignKey(
        "eventstore.TransactionBatch",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="outcomes",
    )
    isa13 = models.CharField("inbound ISA13", max_length=9, blank=True)
    gs06 = models.CharField("inbound GS06", max_length=9, blank=True)
    st02s = models.JSONField("inbound ST02s", default=list, blank=True)
    payload = models.JSONField(help_text="Structured response content (built by the x12 engine).")
    dedupe_key = models.CharField(
        max_length=200, unique=True, help_text="Stages each owed response once."
    )
    status = models.CharField(max_length=10, choices=OutcomeStatus, default=OutcomeStatus.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    assembled_at = models.DateTimeField(null=True, blank=True)
    outbound_file = models.ForeignKey(
        "OutboundFile", on_delete=models.PROTECT, null=True, blank=True, related_name="outcomes"
    )
    failure_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["status", "due_at"], name="outcome_status_due"),
            models.Index(fields=["partner", "response_type", "status"], name="outcome_group"),
        ]

    def __str__(self) -> str:
        return f"{self.response_type} for {self.partner_id} (outcome {self.pk})"


class OutboundFileStatus(models.TextChoices):
    ASSEMBLING = "ASSEMBLING", "Assembling"
    PERSISTED = "PERSISTED", "Persisted"
    PUBLISHED = "PUBLISHED", "Published"
    QUARANTINED = "QUARANTINED", "Quarantined"
    FAILED = "FAILED", "Failed"


class OutboundFile(models.Model):
    """One interchange we send: its control numbers, where it is stored, and its state."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    partner = models.ForeignKey(
        "partners.TradingPartner", on_delete=models.PROTECT, related_name="outbound_files"
    )
    transaction_type = models.CharField(max_length=8)
    isa13 = models.PositiveIntegerField("ISA13")
    gs06 = models.PositiveIntegerField("GS06", null=True, blank=True)
    st02s = models.JSONField("ST02s", default=list, blank=True)
    storage_path = models.CharField(max_length=500, blank=True)
    size = models.BigIntegerField(null=True, blank=True)
    segment_count = models.PositiveIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    batch_timestamp = models.DateTimeField(
        help_text="Stored once: ISA09/10, GS04/05 and the file name come from it."
    )
    status = models.CharField(
        max_length=12,
        choices=OutboundFileStatus,
        default=OutboundFileStatus.ASSEMBLING,
        db_index=True,
    )
    status_reason = models.TextField(blank=True)
    ingestion_ids = models.JSONField(
        default=list, blank=True, help_text="Inbound batch ids answered by this file."
    )
    outcome_ids = models.JSONField(
        default=list, blank=True, help_text="Outcome ids rendered into this file, in order."
    )
    envelope = models.JSONField(
        default=dict,
        blank=True,
        help_text="Partner envelope settings snapshotted at allocation (rebuilds reuse them).",
    )
    reprocessed_from = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reprocessed_as"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    # the partner said it has the file (POST /api/v1/files/{id}/received): first time only
    received_at = models.DateTimeField("received by partner", null=True, blank=True)
    received_by = models.CharField("receipt from", max_length=150, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["partner", "isa13"], name="outfile_partner_isa13")]
        permissions = [
            (
                "view_file_content",
                "Can view outbound file contents and outcome payloads (may contain PHI)",
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["storage_path"],
                condition=~models.Q(storage_path=""),
                name="outfile_unique_storage_path",
            )
        ]

    def __str__(self) -> str:
        return f"{self.transaction_type} ISA13={self.isa13:09d} ({self.partner_id})"

    @property
    def file_name(self) -> str:
        return self.storage_path.rsplit("/", 1)[-1]


class QuarantinedFile(OutboundFile):
    """Admin view of the files that failed validation (status QUARANTINED)."""

    class Meta:
        proxy = True
        verbose_name = "quarantined file"


class OperatorAction(models.Model):
    """Append-only record of an operator's outbound action (reprocess, resubmit)."""

    class Action(models.TextChoices):
        REPROCESS = "REPROCESS", "Reprocess quarantined file"
        RESUBMIT = "RESUBMIT", "Resubmit outbox message"

    action = models.CharField(max_length=12, choices=Action)
    actor = models.CharField(max_length=150)
    outbound_file = models.ForeignKey(
        OutboundFile, on_delete=models.PROTECT, related_name="operator_actions"
    )
    reason = models.TextField(blank=True)
    result = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} by {self.actor}"


class OutboxStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    SENT = "SENT", "Sent"
    DEAD = "DEAD", "Dead letter"


class OutboxMessage(models.Model):
    """A message to publish ('file ready'), written in the same transaction as the file state."""

    outbound_file = models.OneToOneField(
        OutboundFile, on_delete=models.PROTECT, related_name="outbox_message"
    )
    stream = models.CharField(max_length=100, default=OUTBOX_STREAM)
    payload = models.JSONField(help_text="Ids and paths only; never PHI.")
    status = models.CharField(max_length=8, choices=OutboxStatus, default=OutboxStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    redis_message_id = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due")]

    def __str__(self) -> str:
        return f"outbox {self.pk} ({self.status})"


class DeadLetter(OutboxMessage):
    """Admin view of outbox messages that gave up (status DEAD)."""

    class Meta:
        proxy = True
        verbose_name = "dead letter"


# The eligibility and claims tables live in their own rooms (outbound/eligibility/,
# outbound/claims/); Django finds an app's models through this module.
from outbound.claims.models import (  # noqa: E402
    Claim,
    ClaimEditSetting,
    ClaimNumberCounter,
    ClaimStatus,
    ClaimType,
)
from outbound.eligibility.models import (  # noqa: E402
    EligibilityInquiry,
    EligibilityPolicy,
    InquiryResult,
)
from outbound.remittance.models import (  # noqa: E402
    Adjudication,
    PaymentMethod,
    RemittanceImport,
    RemittancePayment,
    StatusAnswer,
)

__all__ = [
    "Adjudication",
    "BatchWindow",
    "Claim",
    "ClaimEditSetting",
    "ClaimNumberCounter",
    "ClaimStatus",
    "ClaimType",
    "DeadLetter",
    "EligibilityInquiry",
    "EligibilityPolicy",
    "InquiryResult",
    "OperatorAction",
    "OutboundFile",
    "OutboundFileStatus",
    "OutboxMessage",
    "OutboxStatus",
    "OutcomeStatus",
    "PaymentMethod",
    "ProcessingOutcome",
    "QuarantinedFile",
    "RemittanceImport",
    "RemittancePayment",
    "StatusAnswer",
]
