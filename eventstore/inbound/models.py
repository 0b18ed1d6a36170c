"""Inbound registry: every received file (TransactionBatch) and transaction set (header)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class BatchChannel(models.TextChoices):
    COMMAND = "command", "Command"
    UPLOAD = "upload", "Admin upload"
    INBOX = "inbox", "Inbox directory"
    SYSTEM = "system", "System"
    API = "api", "HTTP API"


class BatchStatus(models.TextChoices):
    RECEIVED = "RECEIVED", "Received"
    ACCEPTED = "ACCEPTED", "Accepted"
    PARTIALLY_ACCEPTED = "PARTIALLY_ACCEPTED", "Partially accepted"
    REJECTED = "REJECTED", "Rejected"
    DUPLICATE = "DUPLICATE", "Duplicate interchange"
    UNKNOWN_PARTNER = "UNKNOWN_PARTNER", "Unknown partner"
    # Processing failed INBOUND_MAX_PROCESSING_ATTEMPTS times: an operator looks at the
    # reason and reprocesses once the cause is fixed. Never picked up again by recovery.
    FAILED = "FAILED", "Failed (needs an operator)"


class TransactionBatch(models.Model):
    """One received source file. The sha256 of its bytes is the idempotency key."""

    original_name = models.CharField(max_length=255)
    partner = models.ForeignKey(
        "partners.TradingPartner",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inbound_batches",
    )
    sha256 = models.CharField(max_length=64, unique=True)
    size = models.BigIntegerField()
    storage_path = models.CharField(max_length=500, blank=True)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    channel = models.CharField(max_length=10, choices=BatchChannel, default=BatchChannel.COMMAND)

    # Envelope facts copied from the (first) ISA, for search and duplicate detection.
    sender_qualifier = models.CharField("ISA05", max_length=2, blank=True)
    sender_id = models.CharField("ISA06", max_length=15, blank=True)
    receiver_qualifier = models.CharField("ISA07", max_length=2, blank=True)
    receiver_id = models.CharField("ISA08", max_length=15, blank=True)
    isa13 = models.CharField("ISA13", max_length=9, blank=True, db_index=True)
    isa09 = models.CharField("ISA09 date", max_length=6, blank=True)
    isa10 = models.CharField("ISA10 time", max_length=4, blank=True)
    usage_indicator = models.CharField("ISA15", max_length=1, blank=True)

    status = models.CharField(
        max_length=20, choices=BatchStatus, default=BatchStatus.RECEIVED, db_index=True
    )
    status_reason = models.TextField(blank=True, help_text="Why, for an operator. No PHI.")
    duplicate_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="duplicates"
    )
    groups_accepted = models.PositiveIntegerField(default=0)
    groups_rejected = models.PositiveIntegerField(default=0)
    sets_accepted = models.PositiveIntegerField(default=0)
    sets_rejected = models.PositiveIntegerField(default=0)
    processing_ms = models.PositiveIntegerField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    segment_count = models.BigIntegerField(default=0, help_text="Segments read in the file.")
    # The worker processing (or routing) the batch holds a lease that a heartbeat renews; a
    # batch whose lease expired while it is unfinished was abandoned by a dead worker and is
    # taken over by recovery. Null: nobody works on it.
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    # After a failed attempt, recovery waits until then (a backoff growing with the attempts).
    retry_after = models.DateTimeField(null=True, blank=True)
    processing_attempts = models.PositiveSmallIntegerField(
        default=0, help_text="Processing attempts (first, recoveries, reprocesses)."
    )
    # Operator "Reprocess" audit (who and when; each run is also logged by id only).
    reprocess_count = models.PositiveIntegerField(default=0)
    last_reprocessed_at = models.DateTimeField(null=True, blank=True)
    last_reprocessed_by = models.CharField(max_length=150, blank=True)
    report = models.JSONField(
        default=dict, blank=True, help_text="Validation summary: codes and positions, no PHI."
    )

    class Meta:
        verbose_name_plural = "transaction batches"
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["partner", "isa13"], name="batch_partner_isa13"),
            models.Index(fields=["sender_qualifier", "sender_id"], name="batch_sender"),
        ]
        permissions = [("view_raw_file", "Can download raw inbound files (contain PHI)")]

    def __str__(self) -> str:
        return f"batch {self.pk} ({self.original_name})"


class SetVerdict(models.TextChoices):
    ACCEPTED = "A", "Accepted"
    ACCEPTED_WITH_ERRORS = "E", "Accepted with errors"
    REJECTED = "R", "Rejected"


class RoutingStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    ROUTED = "ROUTED", "Routed"
    NO_HANDLER = "NO_HANDLER", "Accepted, no handler"
    NOT_ROUTED = "NOT_ROUTED", "Not routed (rejected)"
    FAILED = "FAILED", "Handler failed"


class TransactionHeader(models.Model):
    """One transaction set (ST..SE) of a batch, with its verdict and routing result."""

    # The reference is checked once per INSERT statement by a trigger, not per row by a
    # FOREIGN KEY (migration 0010): a 100 MB 837 inserts 10^5 headers in one COPY.
    batch = models.ForeignKey(
        TransactionBatch, on_delete=models.PROTECT, related_name="headers", db_constraint=False
    )
    isa13 = models.CharField("ISA13", max_length=9, blank=True)
    gs01 = models.CharField("GS01", max_length=2, blank=True)
    gs06 = models.CharField("GS06", max_length=9, blank=True)
    gs08 = models.CharField("GS08", max_length=12, blank=True)
    st01 = models.CharField("ST01", max_length=3, blank=True)  # indexed by header_st01_routing
    st02 = models.CharField("ST02", max_length=9, blank=True)
    st03 = models.CharField("ST03", max_length=35, blank=True)
    segment_count = models.PositiveIntegerField(default=0)
    start_offset = models.BigIntegerField(
        default=0, help_text="Byte offset of ST in the raw file (handlers re-read the set)."
    )
    end_offset = models.BigIntegerField(default=0, help_text="Byte offset just after SE.")
    first_line = models.PositiveIntegerField(default=0)
    verdict = models.CharField(max_length=1, choices=SetVerdict, blank=True)
    error_summary = models.JSONField(default=list, blank=True, help_text="Codes and positions.")
    routing_status = models.CharField(
        max_length=12, choices=RoutingStatus, default=RoutingStatus.PENDING
    )
    routing_result = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["batch_id", "id"]
        indexes = [
            models.Index(fields=["st01", "routing_status"], name="header_st01_routing"),
            # recovery looks for batches whose accepted sets still wait to be routed
            models.Index(
                fields=["batch"],
                condition=models.Q(routing_status="PENDING"),
                name="header_pending_batch",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.st01} ST02={self.st02} (batch {self.batch_id})"
