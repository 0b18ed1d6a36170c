"""Remittance tables: each imported file of adjudication results, its payments (one 835
transaction set each) and each claim's adjudication.

Imported by ``outbound/models.py`` (Django finds an app's models there).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone


class RemittanceImport(models.Model):
    """One file of adjudication results, imported whole (all or nothing). Its sha256 is
    unique: the same file imported again changes nothing."""

    sha256 = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=255, help_text="The file name as given.")
    file_format = models.CharField(max_length=8, help_text="json or csv")
    payments = models.PositiveIntegerField(default=0)
    claims = models.PositiveIntegerField(default=0)
    total_paid = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    imported_by = models.CharField(max_length=150, help_text="Who imported it (actor label).")
    imported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        verbose_name = "remittance import"

    def __str__(self) -> str:
        return f"remittance import {self.pk} ({self.claims} claims)"


class PaymentMethod(models.TextChoices):
    ACH = "ACH", "ACH (EFT)"
    CHK = "CHK", "Check"
    NON = "NON", "No payment"


class RemittancePayment(models.Model):
    """One payment (check or EFT) to one payee: one 835 transaction set."""

    remittance_import = models.ForeignKey(
        RemittanceImport, on_delete=models.PROTECT, related_name="payment_rows"
    )
    partner = models.ForeignKey(
        "partners.TradingPartner",
        on_delete=models.PROTECT,
        related_name="remittance_payments",
        help_text="The payee partner: who receives the 835.",
    )
    payee_npi = models.CharField(max_length=10)
    payee_tin = models.CharField(max_length=30, blank=True)
    method = models.CharField(max_length=3, choices=PaymentMethod)
    amount = models.DecimalField(
        max_digits=18, decimal_places=2, help_text="Negative: a debit of the payee (BPR03 D)."
    )
    paid_on = models.DateField(help_text="Check issue or EFT effective date (BPR16).")
    trace_number = models.CharField(max_length=50, help_text="Check or EFT trace number (TRN02).")
    provider_adjustments = models.JSONField(
        default=list, blank=True, help_text="[reason, reference, amount, period end] per PLB."
    )
    claims = models.PositiveIntegerField(default=0)
    outcome = models.ForeignKey(
        "outbound.ProcessingOutcome",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="remittance_payments",
        help_text="The 835 outcome.",
    )
    position = models.PositiveIntegerField(help_text="Its place in the imported file.")

    class Meta:
        ordering = ["-id"]
        verbose_name = "remittance payment"
        constraints = [
            # a trace number identifies one payment to a payee: never reused
            models.UniqueConstraint(fields=["partner", "trace_number"], name="remit_trace"),
            # a negative payment is a debit of the payee's account (BPR03 D): by EFT only
            models.CheckConstraint(
                condition=Q(amount__gte=0) | Q(method="ACH"), name="remit_debit_by_ach"
            ),
        ]

    def __str__(self) -> str:
        return f"payment {self.trace_number} ({self.amount})"


class Adjudication(models.Model):
    """What the payer decided about one claim, and the payment (835) that carried it. A
    claim may have several (a reversal and a correction come later): the newest wins."""

    claim = models.ForeignKey(
        "outbound.Claim", on_delete=models.PROTECT, related_name="adjudications"
    )
    payment = models.ForeignKey(
        RemittancePayment, on_delete=models.PROTECT, related_name="adjudications"
    )
    partner = models.ForeignKey(
        "partners.TradingPartner",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="adjudications",
    )
    position = models.PositiveIntegerField(help_text="Its place in the payment (LX order).")
    status = models.CharField("claim status (CLP02)", max_length=2)
    charge = models.DecimalField(max_digits=18, decimal_places=2)
    paid = models.DecimalField(max_digits=18, decimal_places=2)
    patient_responsibility = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    filing_indicator = models.CharField(max_length=2)
    payer_claim_id = models.CharField("payer claim control number (CLP07)", max_length=50)
    adjustments = models.JSONField(
        default=list, blank=True, help_text="[group, CARC, amount, quantity] per adjustment."
    )
    remarks = models.JSONField(default=list, blank=True, help_text="RARCs of the claim.")
    lines = models.JSONField(
        default=list,
        blank=True,
        help_text="[procedure, charge, paid, units, date, line item control number] per line.",
    )
    paid_on = models.DateField()
    adjudicated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["claim", "-id"], name="adjudication_claim"),
            models.Index(fields=["partner", "paid_on"], name="adjudication_partner_day"),
        ]

    def __str__(self) -> str:
        return f"adjudication {self.pk} of claim {self.claim_id} (CLP02 {self.status})"


class StatusAnswer(models.Model):
    """One claim a 277 answered (a 276 inquiry that found it): the claim's link to the 277
    outcome that carried the answer, as ``Claim.outcome`` links its 277CA and
    ``Adjudication.payment.outcome`` its 835. Written with the 277 outcome, in the routing
    transaction of the 276; ``(outcome, position)`` is unique, so answering a set again
    records nothing twice."""

    claim = models.ForeignKey(
        "outbound.Claim", on_delete=models.PROTECT, related_name="status_answers"
    )
    outcome = models.ForeignKey(
        "outbound.ProcessingOutcome",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,  # the unique (outcome, position) index serves "answers of a 277"
        related_name="status_answers",
        help_text="The 277 outcome.",
    )
    position = models.PositiveIntegerField(help_text="The inquiry's place in its 276 set.")
    category = models.CharField("status category (STC01-1)", max_length=3)
    status_code = models.CharField("status (STC01-2)", max_length=30, blank=True)
    lines = models.PositiveIntegerField(default=0, help_text="Service lines answered (2220D/E).")
    answered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        verbose_name = "277 answer"
        constraints = [
            models.UniqueConstraint(fields=["outcome", "position"], name="status_answer_once"),
        ]
        indexes = [models.Index(fields=["claim", "id"], name="status_answer_claim")]

    def __str__(self) -> str:
        return f"277 answer {self.pk} of claim {self.claim_id} ({self.category})"
