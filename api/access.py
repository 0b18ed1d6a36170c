"""Access records: one row per API response that carried PHI — who (key prefix, partner or
user), what resource (its kind and internal id), when, and the answer's status. No PHI in it:
ids are internal (row ids, member aggregate ids), never member ids or names."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

__all__ = ["ApiAccessRecord", "access_record"]


class ApiAccessRecord(models.Model):
    at = models.DateTimeField(default=timezone.now, db_index=True)
    key_prefix = models.CharField(max_length=16)
    partner_code = models.CharField(max_length=20, blank=True)
    username = models.CharField(max_length=150, blank=True)
    resource = models.CharField(max_length=40, help_text="Kind: member, claim, file…")
    resource_ids = models.JSONField(default=list, help_text="Internal ids only (never PHI).")
    method = models.CharField(max_length=8)
    status_code = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "API PHI access record"

    def __str__(self) -> str:
        return f"{self.resource} by {self.key_prefix} at {self.at:%Y-%m-%d %H:%M:%S}"


def access_record(
    *, key, resource: str, resource_ids: list, method: str, status_code: int
) -> ApiAccessRecord:
    """Write the access record of one PHI-carrying response (append-only)."""
    return ApiAccessRecord.objects.create(
        key_prefix=key.prefix,
        partner_code=key.partner.code if key.partner_id else "",
        username=key.user.get_username() if key.user_id else "",
        resource=resource,
        resource_ids=[str(i) for i in resource_ids][:200],
        method=method,
        status_code=status_code,
    )
