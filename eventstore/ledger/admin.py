"""Admin of the ledger: read-only events, PHI-gated members, batch reversal.

* Domain events are strictly read-only (no add / change / delete for anybody). Their payload
  carries PHI and is shown only to users with ``eventstore.view_member``.
* Members and enrollments are derived (projections): read-only, and visible only with
  ``eventstore.view_member``. A member's page shows its event timeline (file, transaction set,
  INS position of every event), also as CSV, and the sections other rooms register with
  :func:`register_member_panel` (outbound: eligibility inquiries about the member).
* The ledger's reports are entries of the report registry (:mod:`eventstore.ledger.reports`);
  the old ``domainevent/reports/`` addresses redirect there.
* "Reverse batch" is an action the ledger adds to the inbound batch admin (through its
  action registry): a confirmation page (reason, what will be reversed, blockers), then
  :func:`~eventstore.ledger.services.reversal.batch_reverse`; permission
  ``eventstore.reverse_batch``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from edi_platform.core.adminkit import (
    ConfirmRow,
    EstimatedCountPaginator,
    ReadOnlyAdmin,
    ReadOnlyInline,
    change_url,
    choices_filter,
    confirm_action,
    csv_response,
    guarded_view,
)
from edi_platform.partners.selectors import partner_codes
from eventstore.inbound.admin import register_batch_action, register_batch_note
from eventstore.ledger import selectors
from eventstore.ledger.codes import INSURANCE_LINE, label
from eventstore.ledger.events.schemas import EVENT_TYPES
from eventstore.ledger.services.reversal import ReversalError, batch_reverse, reversal_blockers
from eventstore.models import (
    BatchReversal,
    DomainEvent,
    Enrollment,
    Member,
    ProjectionLagAlert,
    ReconciliationReport,
    TransactionBatch,
)

VIEW_MEMBER = "eventstore.view_member"
REVERSE_BATCH = "eventstore.reverse_batch"
TEMPLATE_DIR = "admin/eventstore/events"


# Sections other rooms add to a member's page (outbound: the eligibility inquiries answered
# about the member). The member page itself needs ``eventstore.view_member``.
_member_panels: dict[str, Callable[[HttpRequest, str], str | None]] = {}


def register_member_panel(name: str, panel: Callable[[HttpRequest, str], str | None]) -> None:
    """Show ``panel(request, aggregate_id)`` (safe HTML, or None) on every member page."""
    _member_panels[name] = panel


def member_heading(member: Member) -> str:
    """A member page's heading: the person (the page needs ``eventstore.view_member``)."""
    name = ", ".join(p for p in (member.last_name, member.first_name) if p) or "(no name)"
    return f"{name} — subscriber {member.subscriber_id}, {member.partner_code}"


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
    list_filter = (
        choices_filter("event_type", "event type", lambda: [(t, t) for t in EVENT_TYPES]),
        "is_reversal",
    )
    search_fields = ("=aggregate_id", "=event_id")
    list_select_related = ("batch",)
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    ordering = ("-position",)
    date_hierarchy = None

    @admin.display(description="aggregate")
    def short_aggregate(self, obj: DomainEvent) -> str:
        return obj.aggregate_id[:16]

    @admin.display(description="batch")
    def batch_link(self, obj: DomainEvent) -> str:
        if not obj.batch_id:
            return "-"
        url = change_url(TransactionBatch, obj.batch_id)
        return format_html('<a href="{}">{}</a>', url, obj.batch_id) if url else obj.batch_id

    # "data" (the payload) is a PHI field of the classification: the kit leaves it out for
    # users without eventstore.view_member
    fields = readonly_fields = (
        "position",
        "event_id",
        "aggregate_type",
        "aggregate_id",
        "aggregate_version",
        "event_type",
        "schema_version",
        "data",
        "metadata",
        "batch",
        "header",
        "occurred_at",
        "recorded_at",
        "is_reversal",
        "reverses",
    )

    # --- the reports moved to the report registry: old addresses redirect ---------------
    def get_urls(self):
        site = self.admin_site
        extra = [
            path("reports/", guarded_view(site, self._reports_moved), name="eventstore_reports"),
            path(
                "reports/<slug:report>/",
                guarded_view(site, self._reports_moved),
                name="eventstore_report",
            ),
        ]
        return extra + super().get_urls()

    def _reports_moved(self, request: HttpRequest, report: str = "") -> HttpResponseRedirect:
        target = reverse("reports:report", args=[report]) if report else reverse("reports:index")
        query = request.GET.urlencode()
        return HttpResponseRedirect(f"{target}?{query}" if query else target)


class EnrollmentInline(ReadOnlyInline):
    model = Enrollment
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

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm(VIEW_MEMBER)


def _partners() -> list[tuple[str, str]]:
    return [(code, code) for code in partner_codes()]


@admin.register(Member)
class MemberAdmin(PhiAdmin):
    list_display = (
        "subscriber_id",
        "relationship",
        "last_name",
        "first_name",
        "partner_code",
        "current_status",
        "coverage_end",
    )
    list_filter = (
        choices_filter("partner_code", "partner", _partners),
        "relationship",
        "terminated",
    )
    search_fields = ("=subscriber_id", "last_name", "first_name", "=member_ref")
    inlines = [EnrollmentInline]
    change_form_template = f"{TEMPLATE_DIR}/member_change_form.html"
    paginator = EstimatedCountPaginator
    show_full_result_count = False

    @admin.display(description="status today")
    def current_status(self, obj: Member) -> str:
        return obj.status()

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Member._meta.concrete_fields]

    def get_urls(self):
        extra = [
            path(
                "<path:object_id>/events/",
                guarded_view(self.admin_site, self.timeline_view, permissions=(VIEW_MEMBER,)),
                name="eventstore_member_events",
            ),
        ]
        return extra + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        member = Member.objects.filter(pk=object_id).first()
        extra_context = {
            **(extra_context or {}),
            # the page is PHI-gated: the heading names the person, not the hashed id
            **({"title": member_heading(member)} if member else {}),
            "timeline": selectors.member_history(object_id),
            "timeline_csv_url": reverse("admin:eventstore_member_events", args=[object_id])
            + "?format=csv",
            "panels": [
                html for panel in _member_panels.values() if (html := panel(request, object_id))
            ],
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def timeline_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        member = get_object_or_404(Member, pk=object_id)
        entries = selectors.member_history(member.pk)
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
                        json.dumps(e.data, sort_keys=True, default=str),
                    ]
                    for e in entries
                ),
            )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Event history of {member_heading(member)}",
            "member": member,
            "timeline": entries,
            "timeline_csv_url": "?format=csv",
            "opts": Member._meta,
        }
        return TemplateResponse(request, f"{TEMPLATE_DIR}/member_timeline.html", context)


@admin.register(Enrollment)
class EnrollmentAdmin(PhiAdmin):
    list_display = (
        "member_link",
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
    paginator = EstimatedCountPaginator
    show_full_result_count = False

    @admin.display(description="member", ordering="member__last_name")
    def member_link(self, obj: Enrollment) -> str:
        member = obj.member if obj.member_id else None
        if member is None:
            return "—"
        name = ", ".join(p for p in (member.last_name, member.first_name) if p) or "(no name)"
        return format_html(
            '<a href="{}">{}</a> <span class="quiet">{}</span>',
            change_url(Member, member.pk),
            name,
            member.get_relationship_display(),
        )

    @admin.display(description="subscriber id", ordering="member__subscriber_id")
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


# --- the "Reverse batch" action, added to the inbound batch admin ------------------------


@admin.action(description="Reverse batch (compensating events)")
def reverse_batch_action(modeladmin, request: HttpRequest, queryset) -> TemplateResponse | None:
    """Confirmation page first (reason + what will happen); the second POST reverses."""
    if not request.user.has_perm(REVERSE_BATCH):
        raise PermissionDenied
    batches = list(queryset.annotate(event_count=Count("events")).order_by("pk"))
    rows = [
        ConfirmRow(
            pk=b.pk,
            cells=[b.pk, b.original_name, b.get_status_display(), b.event_count],
            blocker="; ".join(reversal_blockers(b)),
        )
        for b in batches
    ]

    def perform(data: Mapping[str, Any], eligible: list[ConfirmRow]) -> None:
        for row in eligible:
            try:
                record = batch_reverse(
                    batch_id=row.pk, reason=data["reason"], acting_user=request.user
                )
            except ReversalError as exc:
                modeladmin.message_user(request, str(exc), messages.ERROR)
                continue
            modeladmin.message_user(
                request,
                f"Batch {row.pk} reversed: {record.events_reversed} events compensated "
                f"(reversal batch {record.reversal_batch_id}).",
                messages.SUCCESS,
            )

    return confirm_action(
        modeladmin,
        request,
        action="reverse_batch_action",
        title="Reverse enrollment batches",
        details=_reversal_details(request, [r.pk for r in rows if not r.blocker]),
        intro=(
            "Each event of these batches gets a compensating <Type>Reversed event (newest "
            "first, one transaction per batch). The projections then look as if the batch had "
            "never been received. A batch can be reversed only once; the reversal is recorded "
            "as its own system batch."
        ),
        columns=["Batch", "File", "Status", "Events"],
        rows=rows,
        perform=perform,
        submit_label="Yes, reverse",
    )


def _reversal_details(request: HttpRequest, batch_ids: list[int]) -> str:
    """Which members and coverages each reversal changes (names only with view_member)."""
    batches = []
    for batch_id in batch_ids:
        changes, total = selectors.reversal_preview(batch_id)
        batches.append({"id": batch_id, "changes": changes, "total": total})
    ids = [c.aggregate_id for b in batches for c in b["changes"]]
    names = selectors.member_labels(ids) if request.user.has_perm(VIEW_MEMBER) else {}
    for b in batches:
        b["rows"] = [
            {
                "member": names.get(c.aggregate_id, f"member {c.aggregate_id[:14]}"),
                "url": change_url(Member, c.aggregate_id) if names else "",
                "events": ", ".join(f"{t} × {n}" for t, n in sorted(c.events.items())),
                "coverages": ", ".join(label(INSURANCE_LINE, k) for k in c.coverages) or "—",
            }
            for c in b["changes"]
        ]
    return render_to_string(
        f"{TEMPLATE_DIR}/_reversal_preview.html",
        {"batches": batches, "names_hidden": not names and bool(ids)},
        request=request,
    )


register_batch_action(reverse_batch_action, permission=REVERSE_BATCH)


# --- the batch list says which batches were reversed, and which are reversals -------------


def _with_reversals(queryset: QuerySet) -> QuerySet:
    return queryset.annotate(
        reversed_by_batch=Subquery(
            BatchReversal.objects.filter(batch=OuterRef("pk")).values("reversal_batch_id")[:1]
        ),
        reverses_batch=Subquery(
            BatchReversal.objects.filter(reversal_batch=OuterRef("pk")).values("batch_id")[:1]
        ),
    )


def _reversal_note(batch: Any) -> str:
    if getattr(batch, "reversed_by_batch", None):
        return f"reversed by batch {batch.reversed_by_batch}"
    if getattr(batch, "reverses_batch", None):
        return f"reversal of batch {batch.reverses_batch}"
    return ""


register_batch_note("reversal", annotate=_with_reversals, note=_reversal_note)
