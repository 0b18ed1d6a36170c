"""Access records: one row per API response that carried PHI — who (key prefix, partner or
user), what resource (its kind and internal id), when, and the answer's status. No PHI in it:
ids are internal (row ids, member aggregate ids), never member ids or names."""

from __future__ import annotations

from functools import cache

from django.db import connection, models
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


def access_record(*, key, resource: str, resource_ids: list, method: str, status_code: int) -> None:
    """Write the access record of one PHI-carrying response (append-only): ONE INSERT, in
    the caller's transaction if there is one (its own commit otherwise). Hand-written: it
    runs for every PHI answer, and the model's save() cost more CPU than the statement."""
    ids = _IDS.get_db_prep_value([str(i) for i in resource_ids][:200], connection)
    with connection.cursor() as cursor:
        cursor.execute(
            _insert(),
            [
                timezone.now(),
                key.prefix,
                key.partner.code if key.partner_id else "",
                key.user.get_username() if key.user_id else "",
                resource,
                ids,
                method,
                status_code,
            ],
        )


_IDS = ApiAccessRecord._meta.get_field("resource_ids")
_COLUMNS = (
    "at",
    "key_prefix",
    "partner_code",
    "username",
    "resource",
    "resource_ids",
    "method",
    "status_code",
)


@cache
def _insert() -> str:
    quote = connection.ops.quote_name
    columns = ", ".join(quote(ApiAccessRecord._meta.get_field(c).column) for c in _COLUMNS)
    return (
        f"INSERT INTO {quote(ApiAccessRecord._meta.db_table)} ({columns}) "
        f"VALUES ({', '.join(['%s'] * len(_COLUMNS))})"
    )
