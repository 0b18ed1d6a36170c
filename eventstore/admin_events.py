"""Admin for the event store: read-only events, PHI-gated members, reports, batch reversal.

* Domain events are strictly read-only (no add / change / delete for anybody). Their payload
  carries PHI and is shown only to users with ``eventstore.view_member``.
* Members and enrollments are derived (projections): read-only, and visible only with
  ``eventstore.view_member``. A member's page shows its event timeline (file, transaction set,
  INS position of every event), also as CSV.
* Reports hang off the events admin (``reports/...``), each with a CSV download.
* ``reverse_batch_action`` is the "Reverse batch" action for the batch admin: a confirmation
  page (reason, what will be reversed, blockers), then ``services.reversal.batch_reverse``;
  permission ``eventstore.reverse_batch``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.html import format_html

from eventstore import selectors_events as reports
from eventstore.models import (
    BatchReversal,
    DomainEvent,
    Enrollment,
    Member,
    ProjectionLagAlert,
    ReconciliationReport,
    TransactionBatch,
)
from eventstore.services.reversal import ReversalError, batch_reverse, reversal_blockers

VIEW_MEMBER = "eventstore.view_member"
REVERSE_BATCH = "eventstore.reverse_batch"
TEMPLATE_DIR = "admin/eventstore/events"


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence]
) -> StreamingHttpResponse:
    """A streamed CSV download."""
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class ReadOnlyAdmin(admin.ModelAdmin):
    """Nobody adds, changes or deletes these rows through the admin."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class PhiAdmin(ReadOnlyAdmin):
    """Visible only with ``eventstore.view_member`` (the rows hold PHI)."""

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm(VIEW_MEMBER)

    def has_module_permission(self, request) -> bool:
        return request.user.has_perm(VIEW_MEMBER)


@admin.register(DomainEvent)
class DomainEventAdmin(ReadOnlyAdmin):
    list_display = (
        "position",
        "event_type",
        "schema_version",
        "short_aggregate",
        "aggregate_version",
        "batch_link",
        "occurred_at",
        "recorded_at",
        "is_reversal",
    )
    list_filter = ("event_type", "is_reversal", "schema_version")
    search_fields = ("=aggregate_id", "=event_id")
    list_select_related = ("batch",)
    show_full_result_count = False
    ordering = ("-position",)
    date_hierarchy = None

    @admin.display(description="aggregate")
    def short_aggregate(self, obj: DomainEvent) -> str:
        return obj.aggregate_id[:16]

    @admin.display(description="batch")
    def batch_link(self, obj: DomainEvent) -> str:
        if not obj.batch_id:
            return "-"
        try:
            url = reverse("admin:eventstore_transactionbatch_change", args=[obj.batch_id])
        except NoReverseMatch:  # batch admin not installed
            return str(obj.batch_id)
        return format_html('<a href="{}">{}</a>', url, obj.batch_id)

    def get_fields(self, request, obj=None):
        fields = [
            "position",
            "event_id",
            "aggregate_type",
            "aggregate_id",
            "aggregate_version",
            "event_type",
            "schema_version",
            "metadata",
            "batch",
            "header",
            "occurred_at",
            "recorded_at",
            "is_reversal",
            "reverses",
        ]
        if request.user.has_perm(VIEW_MEMBER):
            fields.insert(7, "data")  # the payload is PHI
        return fields

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    # --- report pages -------------------------------------------------------------------
    def get_urls(self):
        view = self.admin_site.admin_view
        extra = [
            path("reports/", view(self.reports_index), name="eventstore_reports"),
            path("reports/<slug:report>/", view(self.report_view), name="eventstore_report"),
        ]
        return extra + super().get_urls()

    def reports_index(self, request: HttpRequest) -> TemplateResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": "Event store reports",
            "reports": [
                (slug, title)
                for slug, (title, phi) in REPORTS.items()
                if not phi or request.user.has_perm(VIEW_MEMBER)
            ],
        }
        return TemplateResponse(request, f"{TEMPLATE_DIR}/reports_index.html", context)

    def report_view(self, request: HttpRequest, report: str) -> HttpResponse:
        if report not in REPORTS or not self.has_view_permission(request):
            raise PermissionDenied
        title, phi = REPORTS[report]
        if phi and not request.user.has_perm(VIEW_MEMBER):
            raise PermissionDenied
        header, rows = REPORT_BUILDERS[report](request)
        if request.GET.get("format") == "csv":
            return csv_response(f"{report}-{timezone.now():%Y%m%dT%H%M%S}.csv", header, rows)
        shown = list(rows)[:500]
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "header": header,
            "rows": shown,
            "truncated": len(shown) == 500,
            "csv_url": f"?{_with_format(request)}",
            "index_url": reverse("admin:eventstore_reports"),
        }
        return TemplateResponse(request, f"{TEMPLATE_DIR}/report.html", context)


def _with_format(request: HttpRequest) -> str:
    query = request.GET.copy()
    query["format"] = "csv"
    return query.urlencode()


def _active_enrollments(request):
    header = [
        "partner",
        "subscriber id",
        "relationship",
        "last name",
        "first name",
        "coverage",
        "plan",
        "level",
        "benefit begin",
        "benefit end",
    ]
    qs = reports.active_enrollments(partner_code=request.GET.get("partner", ""))
    rows = (
        [
            e.member.partner_code,
            e.member.subscriber_id,
            e.member.relationship,
            e.member.last_name,
            e.member.first_name,
            e.coverage_key,
            e.plan,
            e.coverage_level,
            e.benefit_begin,
            e.benefit_end or "",
        ]
        for e in qs.iterator(chunk_size=2000)
    )
    return header, rows


def _event_stream(request):
    header = [
        "position",
        "event type",
        "aggregate",
        "version",
        "batch",
        "file",
        "partner",
        "ST02",
        "INS position",
        "occurred",
        "recorded",
        "reversal",
    ]
    qs = reports.event_stream(
        batch_id=int(request.GET["batch"]) if request.GET.get("batch", "").isdigit() else None,
        event_type=request.GET.get("type", ""),
        aggregate_id=request.GET.get("aggregate", ""),
    )
    rows = (
        [
            e.position,
            e.event_type,
            e.aggregate_id,
            e.aggregate_version,
            e.batch_id or "",
            e.batch.original_name if e.batch_id else "",
            e.batch.partner.code if e.batch_id and e.batch.partner_id else "",
            e.header.st02 if e.header_id else "",
            e.metadata.get("ins_position", ""),
            e.occurred_at.isoformat(),
            e.recorded_at.isoformat(),
            "yes" if e.is_reversal else "",
        ]
        for e in qs.iterator(chunk_size=2000)
    )
    return header, rows


def _batch_summary(request):
    header = [
        "batch",
        "file",
        "partner",
        "channel",
        "status",
        "received",
        "sets accepted",
        "sets rejected",
        "events",
        "reversal events",
        "members",
        "positions",
        "processing ms",
    ]
    rows = (
        [
            b.pk,
            b.original_name,
            b.partner.code if b.partner_id else "",
            b.channel,
            b.status,
            b.received_at.isoformat(),
            b.sets_accepted,
            b.sets_rejected,
            b.event_count,
            b.reversal_count,
            b.members_touched,
            f"{b.first_position}..{b.last_position}" if b.first_position else "",
            b.processing_ms if b.processing_ms is not None else "",
        ]
        for b in reports.batch_processing_summary().iterator(chunk_size=2000)
    )
    return header, rows


def _event_types(request):
    header = ["event type", "count", "schema versions", "first recorded", "last recorded"]
    rows = (
        [
            r["event_type"],
            r["count"],
            f"{r['min_schema']}..{r['max_schema']}",
            r["first_recorded"].isoformat(),
            r["last_recorded"].isoformat(),
        ]
        for r in reports.event_type_statistics()
    )
    return header, rows


def _projection_lag(request):
    header = [
        "projection",
        "head",
        "checkpoint",
        "lag",
        "updated",
        "lag unchanged since",
        "open alerts",
    ]
    rows = (
        [
            r.projection,
            r.head,
            r.checkpoint,
            r.lag,
            r.updated_at.isoformat() if r.updated_at else "",
            r.lag_unchanged_since.isoformat() if r.lag_unchanged_since else "",
            ", ".join(r.open_alerts),
        ]
        for r in reports.projection_lag()
    )
    return header, rows


# slug -> (title, contains PHI)
REPORTS = {
    "active-enrollments": ("Active enrollments", True),
    "event-stream": ("Event stream with batch context", False),
    "batch-summary": ("Batch processing summary", False),
    "event-types": ("Event type statistics", False),
    "projection-lag": ("Projection lag", False),
}
REPORT_BUILDERS = {
    "active-enrollments": _active_enrollments,
    "event-stream": _event_stream,
    "batch-summary": _batch_summary,
    "event-types": _event_types,
    "projection-lag": _projection_lag,
}


class EnrollmentInline(admin.TabularInline):
    model = Enrollment
    extra = 0
    can_delete = False
    fields = (
        "coverage_key",
        "plan",
        "coverage_level",
        "benefit_begin",
        "benefit_end",
        "terminated",
        "current_status",
        "last_position",
    )
    readonly_fields = fields

    @admin.display(description="status today")
    def current_status(self, obj: Enrollment) -> str:
        return obj.status()

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm(VIEW_MEMBER)


@admin.register(Member)
class MemberAdmin(PhiAdmin):
    list_display = (
        "subscriber_id",
        "relationship",
        "last_name",
        "first_name",
        "partner_code",
        "current_status",
        "coverage_begin",
        "coverage_end",
        "version",
    )
    list_filter = ("partner_code", "relationship", "terminated")
    search_fields = ("=subscriber_id", "last_name", "first_name", "=member_ref")
    inlines = [EnrollmentInline]
    change_form_template = f"{TEMPLATE_DIR}/member_change_form.html"

    @admin.display(description="status today")
    def current_status(self, obj: Member) -> str:
        return obj.status()

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Member._meta.concrete_fields]

    def get_urls(self):
        extra = [
            path(
                "<path:object_id>/events/",
                self.admin_site.admin_view(self.timeline_view),
                name="eventstore_member_events",
            ),
        ]
        return extra + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "timeline": reports.member_history(object_id),
            "timeline_csv_url": reverse("admin:eventstore_member_events", args=[object_id])
            + "?format=csv",
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def timeline_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        member = get_object_or_404(Member, pk=object_id)
        entries = reports.member_history(member.pk)
        if request.GET.get("format") == "csv":
            return csv_response(
                f"member-{member.pk[:14]}-events.csv",
                [
                    "position",
                    "version",
                    "event type",
                    "occurred",
                    "recorded",
                    "batch",
                    "file",
                    "ST02",
                    "INS position",
                    "reversal",
                    "reversed by",
                    "data",
                ],
                (
                    [
                        e.position,
                        e.version,
                        e.event_type,
                        e.occurred_at.isoformat(),
                        e.recorded_at.isoformat(),
                        e.batch_id or "",
                        e.file_name,
                        e.st02,
                        e.ins_position or "",
                        "yes" if e.is_reversal else "",
                        e.reversed_by or "",
                        e.data,
                    ]
                    for e in entries
                ),
            )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Event history of {member}",
            "member": member,
            "timeline": entries,
            "timeline_csv_url": "?format=csv",
            "opts": Member._meta,
        }
        return TemplateResponse(request, f"{TEMPLATE_DIR}/member_timeline.html", context)


@admin.register(Enrollment)
class EnrollmentAdmin(PhiAdmin):
    list_display = (
        "member_subscriber",
        "coverage_key",
        "plan",
        "coverage_level",
        "benefit_begin",
        "benefit_end",
        "current_status",
    )
    list_filter = ("coverage_key", "terminated")
    search_fields = ("=member__subscriber_id", "member__last_name", "member__first_name")
    list_select_related = ("member",)

    @admin.display(description="subscriber id")
    def member_subscriber(self, obj: Enrollment) -> str:
        return obj.member.subscriber_id if obj.member_id else ""

    @admin.display(description="status today")
    def current_status(self, obj: Enrollment) -> str:
        return obj.status()

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Enrollment._meta.concrete_fields]


@admin.register(ReconciliationReport)
class ReconciliationReportAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "batch",
        "partner_code",
        "created_at",
        "members_in_file",
        "matched",
        "differing",
        "missing_from_projection",
        "missing_from_file",
    )
    list_filter = ("partner_code",)
    readonly_fields = (*list_display, "header", "details")


@admin.register(ProjectionLagAlert)
class ProjectionLagAlertAdmin(ReadOnlyAdmin):
    list_display = (
        "projection",
        "kind",
        "lag",
        "head_position",
        "checkpoint_position",
        "raised_at",
        "resolved_at",
    )
    list_filter = ("kind", "projection")


@admin.register(BatchReversal)
class BatchReversalAdmin(ReadOnlyAdmin):
    list_display = (
        "batch",
        "reversal_batch",
        "actor",
        "events_reversed",
        "first_position",
        "last_position",
        "created_at",
    )
    readonly_fields = (*list_display, "reason", "acting_user")


def _changelist_url(model) -> str:
    try:
        return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    except NoReverseMatch:
        return reverse("admin:index")


# --- the "Reverse batch" action (included by the batch admin) ---------------------------


class ReverseBatchActionMixin:
    """Give a TransactionBatch ModelAdmin the permission check the action declares."""

    def has_reverse_batch_permission(self, request) -> bool:
        return request.user.has_perm(REVERSE_BATCH)


@admin.action(description="Reverse batch (compensating events)", permissions=["reverse_batch"])
def reverse_batch_action(modeladmin, request: HttpRequest, queryset) -> TemplateResponse | None:
    """Confirmation page first (reason + what will happen); the second POST reverses."""
    if not request.user.has_perm(REVERSE_BATCH):
        raise PermissionDenied
    batches = list(queryset.annotate(event_count=Count("events")).order_by("pk"))
    if request.POST.get("confirm") == "yes":
        reason = request.POST.get("reason", "").strip()
        if not reason:
            modeladmin.message_user(request, "A reason is required.", messages.ERROR)
        else:
            for batch in batches:
                try:
                    record = batch_reverse(
                        batch_id=batch.pk, reason=reason, acting_user=request.user
                    )
                except ReversalError as exc:
                    modeladmin.message_user(request, str(exc), messages.ERROR)
                    continue
                modeladmin.message_user(
                    request,
                    f"Batch {batch.pk} reversed: {record.events_reversed} events compensated "
                    f"(reversal batch {record.reversal_batch_id}).",
                    messages.SUCCESS,
                )
            return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": "Reverse enrollment batches",
        "items": [(b, reversal_blockers(b)) for b in batches],
        "queryset": queryset,
        "opts": TransactionBatch._meta,
        "action_name": "reverse_batch_action",
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "reason": request.POST.get("reason", ""),
        "changelist_url": _changelist_url(TransactionBatch),
    }
    return TemplateResponse(request, f"{TEMPLATE_DIR}/reverse_batch_confirm.html", context)
