"""Admin of ingestion runs: each run with its steps, their errors and how to resume it.

Runs change only through ``manage.py ingest --run/--resume`` (the same service), so both
pages are read-only; a failed step shows the classifier's code and its suggestion.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from edi_platform.core.adminkit import ReadOnlyAdmin, ReadOnlyInline
from eventstore.inbound.run_models import IngestionRun, IngestionStep, RunStatus, StepStatus

_COLOURS = {
    RunStatus.DONE: "#2e7d32",
    RunStatus.FAILED: "#c62828",
    RunStatus.STOPPED: "#ef6c00",
    RunStatus.RUNNING: "#1565c0",
    StepStatus.PENDING: "#616161",
}


def _badge(status: str, label: str) -> str:
    return format_html(
        '<span style="color:#fff;background:{};padding:1px 6px;border-radius:3px">{}</span>',
        _COLOURS.get(status, "#616161"),
        label,
    )


def _batch_link(step: IngestionStep) -> str:
    if step.batch_id is None:
        return "—"
    url = reverse("admin:eventstore_transactionbatch_change", args=[step.batch_id])
    return format_html('<a href="{}">batch {}</a> ({})', url, step.batch_id, step.batch_status)


class StepInline(ReadOnlyInline):
    model = IngestionStep
    fields = ("position", "path", "status", "attempts", "batch_link", "sets", "error_shown")
    readonly_fields = fields
    ordering = ("position",)
    show_change_link = True

    @admin.display(description="batch")
    def batch_link(self, obj: IngestionStep) -> str:
        return _batch_link(obj)

    @admin.display(description="sets (accepted/rejected)")
    def sets(self, obj: IngestionStep) -> str:
        return f"{obj.sets_accepted}/{obj.sets_rejected}"

    @admin.display(description="error — what to do")
    def error_shown(self, obj: IngestionStep) -> str:
        if not obj.error:
            return ""
        return format_html("<b>{}</b> {} — {}", obj.error_code, obj.error, obj.suggestion)


@admin.register(IngestionRun)
class IngestionRunAdmin(ReadOnlyAdmin):
    list_display = (
        "name",
        "status_badge",
        "files",
        "files_failed",
        "sets_done",
        "created_at",
        "finished_at",
        "resume",
    )
    list_filter = ("status",)
    search_fields = ("name",)
    inlines = (StepInline,)
    fields = (
        "name",
        "status",
        "note",
        "resume",
        "created_by",
        "created_at",
        "started_at",
        "finished_at",
        "executions",
        "owner",
        "files_total",
        "files_done",
        "files_failed",
        "duplicates_skipped",
        "bytes_total",
        "sets_done",
        "max_records",
    )
    readonly_fields = fields

    def get_inline_instances(self, request: Any, obj: Any = None) -> list[Any]:
        # A run of 10^5 files: its steps are paged on their own list, not inlined.
        if obj is not None and obj.files_total > 500:
            return []
        return super().get_inline_instances(request, obj)

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj: IngestionRun) -> str:
        return _badge(obj.status, obj.get_status_display())

    @admin.display(description="files done")
    def files(self, obj: IngestionRun) -> str:
        return f"{obj.files_done}/{obj.files_total}"

    @admin.display(description="resume with")
    def resume(self, obj: IngestionRun) -> str:
        return format_html("<code>{}</code>", obj.resume_hint) if obj.resume_hint else "—"


@admin.register(IngestionStep)
class IngestionStepAdmin(ReadOnlyAdmin):
    list_display = (
        "run",
        "position",
        "path",
        "status_badge",
        "attempts",
        "batch_shown",
        "duration_ms",
        "error_code",
        "error",
        "suggestion",
    )
    list_filter = ("status", "run")
    search_fields = ("path", "sha256", "run__name")
    list_select_related = ("run",)

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj: IngestionStep) -> str:
        return _badge(obj.status, obj.get_status_display())

    @admin.display(description="batch")
    def batch_shown(self, obj: IngestionStep) -> str:
        return _batch_link(obj)
