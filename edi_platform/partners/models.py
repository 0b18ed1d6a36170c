"""Trading partners and their envelope settings."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models

PARTNER_CODE_REGEX = r"^[A-Z0-9-]{1,15}$"

# ISA05/ISA07 interchange ID qualifiers allowed by the HIPAA 005010 implementation guides.
ISA_QUALIFIERS = {
    "01": "01 Duns (Dun & Bradstreet)",
    "14": "14 Duns Plus Suffix",
    "20": "20 Health Industry Number (HIN)",
    "27": "27 Carrier Identification Number (Medicare)",
    "28": "28 Fiscal Intermediary Identification Number (Medicare)",
    "29": "29 Medicare Provider and Supplier Identification Number",
    "30": "30 U.S. Federal Tax Identification Number",
    "33": "33 NAIC Company Code",
    "ZZ": "ZZ Mutually Defined",
}
# Characters that may never serve as delimiters: letters, digits and the space that pads ISA.
_FORBIDDEN_DELIMITERS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 ")


class UsageIndicator(models.TextChoices):
    PRODUCTION = "P", "P — production"
    TEST = "T", "T — test"


class Ta1Policy(models.TextChoices):
    NEVER = "never", "Never"
    ON_REQUEST = "on_request", "On request (ISA14 = 1)"
    ALWAYS = "always", "Always"
    ON_ERROR = "on_error", "Only on interchange errors"


class ControlNumberScope(models.TextChoices):
    PARTNER = "partner", "ISA13/GS06 per partner (recommended)"
    TRANSACTION = "transaction", "ISA13/GS06 per partner and transaction type (legacy)"


class VersionFallback(models.TextChoices):
    NEAREST = "nearest", "Validate against the nearest guide version"
    REJECT = "reject", "Reject unknown guide versions (IK502 I6)"


class SnipLevel(models.IntegerChoices):
    SYNTAX_AND_GUIDE = 2, "2: syntax and the implementation guide"
    BALANCING = 3, "3: + balancing"
    SITUATIONAL = 4, "4: + situational rules"


class TradingPartner(models.Model):
    """A trading partner: their ISA/GS identity, ours towards them, and how we answer."""

    code = models.CharField(
        max_length=15,
        unique=True,
        validators=[RegexValidator(PARTNER_CODE_REGEX, "Use 1–15 characters: A–Z, 0–9 and '-'.")],
        help_text="1–15 characters: A–Z, 0–9 and '-'. Used in file paths and control numbers.",
    )
    name = models.CharField(max_length=200)
    active = models.BooleanField(default=True)

    their_isa_qualifier = models.CharField("their ISA05 qualifier", max_length=2)
    their_isa_id = models.CharField("their ISA06 sender ID", max_length=15)
    our_isa_qualifier = models.CharField("our ISA07 qualifier", max_length=2)
    our_isa_id = models.CharField("our ISA08 receiver ID", max_length=15)
    their_gs_code = models.CharField("their GS02 application code", max_length=15)
    our_gs_code = models.CharField("our GS03 application code", max_length=15)
    usage_indicator = models.CharField(
        "ISA15 usage indicator", max_length=1, choices=UsageIndicator, default=UsageIndicator.TEST
    )

    element_separator = models.CharField(max_length=1, default="*")
    component_separator = models.CharField(max_length=1, default=":")
    repetition_separator = models.CharField(max_length=1, default="^")
    segment_terminator = models.CharField(max_length=1, default="~")

    ta1_policy = models.CharField(
        "TA1 policy", max_length=12, choices=Ta1Policy, default=Ta1Policy.ON_REQUEST
    )
    control_number_scope = models.CharField(
        max_length=12,
        choices=ControlNumberScope,
        default=ControlNumberScope.PARTNER,
        help_text="Per-transaction ISA13 scoping lets a partner see the same ISA13 twice; "
        "use it only for partners that require it.",
    )
    version_fallback = models.CharField(
        "unknown guide version",
        max_length=8,
        choices=VersionFallback,
        default=VersionFallback.NEAREST,
    )

    # Validation of what they send: WEDI SNIP types 1-2 (syntax, the guide) always run.
    snip_level = models.PositiveSmallIntegerField(
        "highest SNIP type enforced",
        choices=SnipLevel,
        default=SnipLevel.SITUATIONAL,
        help_text="3 adds balancing (claim and line totals, 835 money); 4 adds the guides' "
        "situational rules.",
    )
    code_sets = models.BooleanField(
        "check code sets (SNIP type 5)",
        default=True,
        help_text="NPI check digits, ICD-10 / CPT / HCPCS shapes, place of service, "
        "CARC/RARC and claim status codes as of the service date, states and ZIP codes.",
    )
    # Limits on one received file (empty: the site defaults INBOUND_MAX_*): a file past a
    # limit is rejected with the reason instead of exhausting the machine.
    max_file_mb = models.PositiveIntegerField("max file size (MB)", null=True, blank=True)
    max_interchanges = models.PositiveIntegerField(null=True, blank=True)
    max_sets = models.PositiveIntegerField("max transaction sets", null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(code__regex=PARTNER_CODE_REGEX),
                name="partner_code_format",
                violation_error_message="Code must be 1–15 characters of A–Z, 0–9 and '-'.",
            ),
            models.UniqueConstraint(
                fields=["their_isa_qualifier", "their_isa_id"],
                name="partner_unique_isa_sender",
                violation_error_message="Another partner already uses this ISA qualifier and ID.",
            ),
            models.CheckConstraint(
                condition=models.Q(usage_indicator__in=["P", "T"]),
                name="partner_usage_indicator_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(element_separator=models.F("component_separator"))
                & ~models.Q(element_separator=models.F("repetition_separator"))
                & ~models.Q(element_separator=models.F("segment_terminator"))
                & ~models.Q(component_separator=models.F("repetition_separator"))
                & ~models.Q(component_separator=models.F("segment_terminator"))
                & ~models.Q(repetition_separator=models.F("segment_terminator")),
                name="partner_delimiters_distinct",
                violation_error_message="The four delimiters must all be different.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"

    @property
    def delimiters(self) -> dict[str, str]:
        return {
            "element": self.element_separator,
            "component": self.component_separator,
            "repetition": self.repetition_separator,
            "segment": self.segment_terminator,
        }

    def clean(self) -> None:
        """Field-level rules that name the field at fault."""
        errors: dict[str, str] = {}
        if self.code and self.code != self.code.upper():
            errors["code"] = "Use upper case: A–Z, 0–9 and '-'."
        for field in ("their_isa_qualifier", "our_isa_qualifier"):
            value = getattr(self, field)
            if value and value not in ISA_QUALIFIERS:
                errors[field] = (
                    f"'{value}' is not an ISA qualifier allowed in 005010: "
                    + ", ".join(ISA_QUALIFIERS)
                    + "."
                )
        delims = {
            "element_separator": self.element_separator,
            "component_separator": self.component_separator,
            "repetition_separator": self.repetition_separator,
            "segment_terminator": self.segment_terminator,
        }
        for field, value in delims.items():
            if len(value or "") != 1:
                errors[field] = "Exactly one character."
            elif value in _FORBIDDEN_DELIMITERS:
                errors[field] = "A delimiter cannot be a letter, a digit or a space."
        seen: dict[str, str] = {}
        for field, value in delims.items():
            if value and value in seen and field not in errors:
                errors[field] = f"Same character as {seen[value].replace('_', ' ')}."
            seen.setdefault(value, field)
        for field in ("their_isa_id", "our_isa_id", "their_gs_code", "our_gs_code"):
            value = getattr(self, field) or ""
            if value != value.strip():
                errors[field] = "No leading or trailing spaces (IDs are padded on output)."
            elif any(ch in value for ch in delims.values() if ch):
                errors[field] = "Contains one of the partner's delimiters."
            elif not value.isprintable() or not value.isascii():
                errors[field] = "Printable ASCII characters only."
        for field in ("their_gs_code", "our_gs_code"):
            value = getattr(self, field) or ""
            if value and len(value) < 2:
                errors[field] = "GS application codes are 2–15 characters."
        if errors:
            raise ValidationError(errors)

    def validation_options(self) -> dict[str, Any]:
        """The engine's ``validate`` keywords this partner's files are checked with."""
        return {
            "snip_level": self.snip_level,
            "code_sets": self.code_sets,
            **file_limits(self),
        }


def file_limits(partner: TradingPartner | None) -> dict[str, int]:
    """The limits on one received file (the partner's, else the site's INBOUND_MAX_*)."""
    mb = (partner.max_file_mb if partner else None) or settings.INBOUND_MAX_FILE_MB
    interchanges = (
        partner.max_interchanges if partner else None
    ) or settings.INBOUND_MAX_INTERCHANGES
    sets = (partner.max_sets if partner else None) or settings.INBOUND_MAX_SETS
    return {"max_file_bytes": mb * 1024 * 1024, "max_interchanges": interchanges, "max_sets": sets}
