"""Eligibility tables: the record of every inquiry answered, and per-partner policies.

Imported by ``outbound/models.py`` (Django finds an app's models there).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class InquiryResult(models.TextChoices):
    ACTIVE = "ACTIVE", "Active coverage"
    INACTIVE = "INACTIVE", "Inactive / not covered"
    REJECTED = "REJECTED", "Rejected (AAA)"


class EligibilityInquiry(models.Model):
    """One person asked about in a 270 and what the 271 said (one row per inquiry).

    Holds ids, codes and dates, never names: ``member_id`` is the member projection's
    aggregate id (a keyed hash). Still, which member was asked about by whom is PHI: the
    admin and the member page show these rows only with ``eventstore.view_member``.
    """

    partner = models.ForeignKey(
        "partners.TradingPartner",
        on_delete=models.PROTECT,
        related_name="eligibility_inquiries",
        help_text="Who asked (the 270's sender).",
    )
    # Batch and header are never deleted (inbound records are kept); like the event log, no
    # row-level FK check: a batch 270 records 10^4 rows in one COPY.
    batch = models.ForeignKey(
        "eventstore.TransactionBatch",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="eligibility_inquiries",
    )
    header = models.ForeignKey(
        "eventstore.TransactionHeader",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="eligibility_inquiries",
    )
    outcome = models.ForeignKey(
        "outbound.ProcessingOutcome",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="eligibility_inquiries",
        help_text="The 271 outcome (its file once assembled).",
    )
    position = models.PositiveIntegerField(help_text="Segment position of the HL in the 270.")
    level = models.CharField(max_length=10, help_text="subscriber or dependent")
    member_id = models.CharField(
        "member (aggregate id)", max_length=64, blank=True, help_text="Blank when not matched."
    )
    receiver_npi = models.CharField("receiver id (2100B NM109)", max_length=80, blank=True)
    trace = models.CharField("our trace (TRN*1)", max_length=50)
    as_of = models.DateField(null=True, blank=True)
    service_types = models.CharField(max_length=300, blank=True, help_text="EQ01 codes asked.")
    result = models.CharField(max_length=10, choices=InquiryResult)
    aaa_loop = models.CharField(max_length=5, blank=True)
    aaa_codes = models.CharField("AAA03 codes", max_length=40, blank=True)
    follow_up = models.CharField("AAA04", max_length=1, blank=True)
    answer = models.JSONField(
        default=list, blank=True, help_text="EB01, EB03, coverage, plan of each EB sent."
    )
    answered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-answered_at", "-id"]
        verbose_name_plural = "eligibility inquiries"
        indexes = [
            models.Index(
                fields=["member_id", "-answered_at"],
                condition=~models.Q(member_id=""),
                name="inquiry_member",
            ),
            models.Index(fields=["answered_at", "partner"], name="inquiry_answered"),
        ]

    def __str__(self) -> str:
        return f"inquiry {self.pk} ({self.get_result_display()})"


class EligibilityPolicy(models.Model):
    """How one partner's 270s are answered (no row: the defaults of the settings).

    Edited by EDI administrators in the admin (Outbound → Eligibility policies).
    """

    partner = models.OneToOneField(
        "partners.TradingPartner", on_delete=models.CASCADE, related_name="eligibility_policy"
    )
    payer_ids = models.CharField(
        max_length=500,
        blank=True,
        help_text="2100A NM109 values that name us, comma-separated. Blank: our ISA and GS "
        "ids for this partner plus ELIGIBILITY_PAYER_IDS.",
    )
    authorised_receivers = models.TextField(
        blank=True,
        help_text="NPIs allowed to ask through this partner, comma or space separated. "
        "Blank: any valid NPI.",
    )
    member_sources = models.CharField(
        max_length=500,
        blank=True,
        help_text="834 senders (partner codes) whose members this partner may ask about. "
        "Blank: all.",
    )
    require_last_name = models.BooleanField(
        default=True, help_text="A member id must be confirmed by the last name."
    )
    require_birth_date = models.BooleanField(
        default=True, help_text="The patient's birth date must be sent and must match."
    )
    name_search = models.BooleanField(
        default=True,
        help_text="Without a member id, search by last name + first name + birth date "
        "(a unique match only).",
    )
    past_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="How far back a date of service may be (days)."
    )
    future_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="How far ahead a date of service may be (days). Blank: to the end of the "
        "current month.",
    )
    realtime_window_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text="Window of a 271 answering one inquiry. Blank: 0."
    )
    batch_window_minutes = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Window of a 271 answering several inquiries. Blank: the 271 batch window.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "eligibility policies"

    def __str__(self) -> str:
        return f"eligibility policy of partner {self.partner_id}"

    def clean(self) -> None:
        """An authorised receiver that is not a valid NPI could never match: refuse it."""
        from django.core.exceptions import ValidationError

        from .matching import npi_valid  # (lazy: models load before the lookups' app code)

        wrong = [n for n in self.authorised_receivers.replace(",", " ").split() if not npi_valid(n)]
        if wrong:
            raise ValidationError(
                {"authorised_receivers": f"not valid NPIs (10 digits, check digit): {wrong}"}
            )
