"""Claim registry tables: one row per claim received, per-partner edit switches, and the
counter of our payer claim control numbers.

Imported by ``outbound/models.py`` (Django finds an app's models there).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone


class ClaimStatus(models.TextChoices):
    ACCEPTED = "ACCEPTED", "Accepted into adjudication (277CA A2)"
    REJECTED = "REJECTED", "Rejected in the 277CA"
    REJECTED_999 = "REJECTED_999", "Rejected by the 999 (no 277CA)"


class ClaimType(models.TextChoices):
    PROFESSIONAL = "P", "837P professional"
    INSTITUTIONAL = "I", "837I institutional"
    DENTAL = "D", "837D dental"


class Claim(models.Model):
    """One claim (2300 loop, CLM) of an 837 transaction set we received, and our verdict.

    Written set-based (thousands per statement) by the 837 handler, never one by one;
    ``(header, position)`` is unique, so routing a set again records nothing twice. Holds
    PHI (the patient's name, birth date and member ids, the patient control number): the
    admin shows these rows only with ``eventstore.view_member``.
    """

    # Batches, headers and partners are never deleted (inbound records are kept; a partner
    # with batches is protected by the batch's own key); like the event log, no row-level
    # FK check here: a deferred check per claim at commit cost as much as the claim's insert.
    partner = models.ForeignKey(
        "partners.TradingPartner",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="claims",
        help_text="Who sent the 837.",
    )
    batch = models.ForeignKey(
        "eventstore.TransactionBatch",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="claims",
    )
    header = models.ForeignKey(
        "eventstore.TransactionHeader",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,  # the unique (header, position) index serves "claims of a set"
        related_name="claims",
    )
    outcome = models.ForeignKey(
        "outbound.ProcessingOutcome",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,  # one 277CA outcome per set: reached through the header
        null=True,
        blank=True,
        related_name="claims",
        help_text="The 277CA outcome (none when the 999 rejected the set).",
    )
    claim_type = models.CharField(max_length=1, choices=ClaimType)
    position = models.PositiveIntegerField(help_text="Segment position of the CLM in its set.")
    patient_control_number = models.CharField("patient control number (CLM01)", max_length=38)
    total_charge = models.DecimalField(
        "total charge (CLM02)", max_digits=18, decimal_places=2, null=True, blank=True
    )
    frequency_code = models.CharField("frequency (CLM05-3)", max_length=1, blank=True)
    facility_code = models.CharField(
        "facility / place of service (CLM05-1)", max_length=2, blank=True
    )
    bill_type = models.CharField("bill type (837I)", max_length=4, blank=True)
    billing_provider_npi = models.CharField("billing provider NPI", max_length=80, blank=True)
    billing_provider_tax_id = models.CharField("billing provider tax id", max_length=30, blank=True)
    subscriber_id = models.CharField("subscriber id (2010BA NM109)", max_length=80, blank=True)
    subscriber_member = models.CharField(
        "subscriber (member aggregate id)", max_length=64, blank=True
    )
    patient_member = models.CharField("patient (member aggregate id)", max_length=64, blank=True)
    patient_is_subscriber = models.BooleanField(default=True)
    patient_last_name = models.CharField(max_length=60, blank=True)
    patient_first_name = models.CharField(max_length=35, blank=True)
    patient_birth_date = models.DateField(null=True, blank=True)
    service_from = models.DateField(null=True, blank=True)
    service_to = models.DateField(null=True, blank=True)
    line_count = models.PositiveIntegerField(default=0)
    payer_claim_control_number = models.BigIntegerField(
        "our claim control number (REF*1K)",
        null=True,
        blank=True,
        help_text="Given to accepted claims only; unique, never reused.",
    )
    status = models.CharField(max_length=12, choices=ClaimStatus)
    reasons = models.JSONField(
        default=list,
        blank=True,
        help_text="[edit code, STC category, status code, entity, line] per reason.",
    )
    reason = models.TextField(blank=True, help_text="Why, for people (codes, no data).")
    duplicate_of = models.BigIntegerField(null=True, blank=True)
    replaces = models.BigIntegerField(
        null=True, blank=True, help_text="The claim a replacement (frequency 7/8) replaces."
    )
    received_at = models.DateTimeField()
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        # newest first by id (the primary key index): no index on received_at to maintain
        ordering = ["-id"]
        indexes = [
            # search by patient control number; the duplicate edit reads it too
            models.Index(fields=["patient_control_number"], name="claim_pcn"),
            models.Index(fields=["subscriber_id"], name="claim_subscriber_id"),
            models.Index(fields=["billing_provider_npi", "service_from"], name="claim_npi_dates"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["header", "position"], name="claim_header_position"),
            models.UniqueConstraint(
                fields=["payer_claim_control_number"],
                condition=Q(payer_claim_control_number__isnull=False),
                name="claim_control_number_unique",
            ),
            models.CheckConstraint(
                condition=Q(status="ACCEPTED", payer_claim_control_number__isnull=False)
                | (~Q(status="ACCEPTED") & Q(payer_claim_control_number__isnull=True)),
                name="claim_control_number_iff_accepted",
            ),
        ]

    def __str__(self) -> str:
        number = self.payer_claim_control_number
        return f"claim {self.pk}" + (f" (ICN {number})" if number else "")


class ClaimNumberCounter(models.Model):
    """The last payer claim control number given (one row, locked by its UPDATE until the
    commit: numbers are taken in blocks, never twice; a rolled-back block is taken again,
    so no number that was ever sent is reused). The lock also serialises claim recording,
    so the duplicate edit sees every claim accepted before."""

    name = models.CharField(max_length=40, primary_key=True)
    last_value = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "claim number counter"

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_value}"


class ClaimEditSetting(models.Model):
    """A business edit switched on or off for one partner (no row: the edit is on)."""

    partner = models.ForeignKey(
        "partners.TradingPartner", on_delete=models.CASCADE, related_name="claim_edit_settings"
    )
    # a code of the edits table (outbound/claims/edits.py); the admin offers the switchable
    # ones (kept out of the model: the table's checks read the models)
    edit = models.CharField(max_length=30, help_text="The edit's code (see the edits table).")
    enabled = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["partner", "edit"]
        constraints = [
            models.UniqueConstraint(fields=["partner", "edit"], name="claim_edit_per_partner")
        ]

    def __str__(self) -> str:
        return f"{self.edit} {'on' if self.enabled else 'off'} for partner {self.partner_id}"
