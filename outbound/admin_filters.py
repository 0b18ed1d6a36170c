"""List filters of outbound's admin: what is owed against its SLA, files sent or not,
quarantined files reprocessed or not (the dashboard links to these)."""

from __future__ import annotations

from django.contrib import admin
from django.utils import timezone

from .models import OutboundFileStatus, OutcomeStatus
from .selectors import sla_breached_q

__all__ = ["FileStateFilter", "ReprocessedFilter", "SlaFilter"]


class SlaFilter(admin.SimpleListFilter):
    """Outcomes still owed whose age is past their response type's SLA (or not)."""

    title = "SLA"
    parameter_name = "sla"

    def lookups(self, request, model_admin):
        return [
            ("owed", "Owed (pending or claimed)"),
            ("breached", "Owed, SLA breached"),
            ("within", "Owed, within SLA"),
        ]

    def queryset(self, request, queryset):
        if self.value() not in ("owed", "breached", "within"):
            return queryset
        owed = queryset.filter(status__in=[OutcomeStatus.PENDING, OutcomeStatus.CLAIMED])
        if self.value() == "owed":
            return owed
        breached = sla_breached_q(timezone.now())
        return owed.filter(breached) if self.value() == "breached" else owed.exclude(breached)


class FileStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("sent", "Sent (persisted or published)"), ("not-sent", "Not sent")]

    def queryset(self, request, queryset):
        sent = [OutboundFileStatus.PERSISTED, OutboundFileStatus.PUBLISHED]
        if self.value() == "sent":
            return queryset.filter(status__in=sent)
        if self.value() == "not-sent":
            return queryset.exclude(status__in=sent)
        return queryset


class ReprocessedFilter(admin.SimpleListFilter):
    title = "reprocessed"
    parameter_name = "reprocessed"

    def lookups(self, request, model_admin):
        return [("no", "Not yet"), ("yes", "Yes")]

    def queryset(self, request, queryset):
        if self.value() in ("no", "yes"):
            return queryset.filter(reprocessed_as__isnull=self.value() == "no").distinct()
        return queryset
