"""Resumable ingestion runs: one run per named backlog, one step per file (its sha256).

A run is planned once (every file hashed, one step each), then executed step by step, each
step's state committed before and after its file is ingested; a run killed at any moment
is resumed (``manage.py ingest --resume``) by doing again what is not DONE. The services
are in :mod:`eventstore.inbound.services.runs`.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from eventstore.inbound.models import TransactionBatch


class RunStatus(models.TextChoices):
    RUNNING = "RUNNING", "Running (or interrupted)"
    STOPPED = "STOPPED", "Stopped at --max-records"
    FAILED = "FAILED", "Finished with failed files"
    DONE = "DONE", "Done"


class StepStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    RUNNING = "RUNNING", "Running (or interrupted)"
    DONE = "DONE", "Done"
    FAILED = "FAILED", "Failed"


class IngestionRun(models.Model):
    """A named ingestion of many files that can be stopped and resumed."""

    name = models.CharField(max_length=100, unique=True)
    status = models.CharField(max_length=10, choices=RunStatus, default=RunStatus.RUNNING)
    channel = models.CharField(max_length=10, default="command")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.CharField(max_length=150, blank=True)
    started_at = models.DateTimeField(null=True, blank=True, help_text="Latest start or resume.")
    finished_at = models.DateTimeField(null=True, blank=True)
    executions = models.PositiveIntegerField(default=0, help_text="Starts and resumes.")
    # Who executes it now ("host:pid"), so a second process does not run it at the same time.
    owner = models.CharField(max_length=200, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    files_total = models.PositiveIntegerField(default=0)
    files_done = models.PositiveIntegerField(default=0)
    files_failed = models.PositiveIntegerField(default=0)
    bytes_total = models.BigIntegerField(default=0)
    sets_done = models.BigIntegerField(default=0, help_text="Transaction sets ingested.")
    duplicates_skipped = models.PositiveIntegerField(
        default=0, help_text="Paths with the same bytes as an earlier path of the run."
    )
    max_records = models.BigIntegerField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True, help_text="Why it stopped. No PHI.")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "ingestion run"

    def __str__(self) -> str:
        return f"run {self.name} ({self.status})"

    @property
    def resume_hint(self) -> str:
        if self.status == RunStatus.DONE:
            return ""
        return f"manage.py ingest --resume-from {self.name}"


class IngestionStep(models.Model):
    """One file of a run, keyed by the sha256 of its bytes."""

    run = models.ForeignKey(IngestionRun, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    path = models.CharField(max_length=1000)
    size = models.BigIntegerField(default=0)
    status = models.CharField(max_length=10, choices=StepStatus, default=StepStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    batch = models.ForeignKey(
        TransactionBatch,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="ingestion_steps",
    )
    batch_status = models.CharField(max_length=20, blank=True)
    already_received = models.BooleanField(default=False)
    sets_accepted = models.PositiveIntegerField(default=0)
    sets_rejected = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    error_code = models.CharField(max_length=60, blank=True)
    error = models.CharField(max_length=500, blank=True, help_text="Codes and classes, no PHI.")
    suggestion = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["run_id", "position"]
        verbose_name = "ingestion step"
        constraints = [
            models.UniqueConstraint(fields=["run", "sha256"], name="ingestion_step_file_once"),
            models.UniqueConstraint(fields=["run", "position"], name="ingestion_step_position"),
        ]
        indexes = [models.Index(fields=["run", "status"], name="ingestion_step_status")]

    def __str__(self) -> str:
        return f"step {self.position} of run {self.run_id} ({self.status})"
