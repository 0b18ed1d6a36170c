"""One table for every credential of the API: a partner key (scoped to its partner) or a
staff token (the Django permissions of its user). Only a hash of the secret is stored; the
prefix is shown in the admin so people can tell keys apart."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class ApiKey(models.Model):
    name = models.CharField(max_length=100, help_text="What this key is for (no PHI).")
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    partner = models.ForeignKey(
        "partners.TradingPartner",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="api_keys",
        help_text="A partner key sees only this partner's data.",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="api_tokens",
        help_text="A staff token acts with this user's permissions.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.CharField(max_length=150, blank=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.CharField(max_length=150, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API key"
        constraints = [
            models.CheckConstraint(
                condition=(Q(partner__isnull=False) & Q(user__isnull=True))
                | (Q(partner__isnull=True) & Q(user__isnull=False)),
                name="apikey_partner_xor_user",
            )
        ]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"

    @property
    def kind(self) -> str:
        return "partner" if self.partner_id else "staff"

    def usable_at(self, now) -> bool:
        return self.revoked_at is None and self.expires_at > now
