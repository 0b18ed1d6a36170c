"""Admin for operations staff: counters, audit (read-only), gap report, reset, close gap, alerts.

Thin: every change goes through a service function (the same ones the commands call).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import F, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from edi_platform.core.adminkit import (
    ConfirmRow,
    ReadOnlyAdmin,
    choices_filter,
    confirm_action,
    csv_response,
    guarded_view,
)
from edi_platform.core.params import int_param

from .gaps import CSV_FIELDS, DEFAULT_DAYS, gap_report
from .models import (
    MAX_CONTROL_NUMBER,
    AuditStatus,
    ControlNumberAlert,
    ControlNumberAudit,
    ControlNumberCounter,
    CounterType,
)
from .selectors import critical_threshold, utilization_level, warning_threshold
from .services import (
    CLOSE_GAP_PERMISSION,
    RESET_PERMISSION,
    ResetRefused,
    counter_reset,
    gaps_close,
)

_LEVEL_COLOURS = {
    "OK": "#2e7d32",
    "WARNING": "#ed6c02",
    "CRITICAL": "#c62828",
    "MINOR": "#0277bd",
    "MODERATE": "#ed6c02",
}
_STATUS_COLOURS = {
    AuditStatus.ISSUED: "#616161",
    AuditStatus.PERSISTED: "#2e7d32",
    AuditStatus.FAILED: "#c62828",
    AuditStatus.RESET: "#6a1b9a",
    AuditStatus.REISSUED: "#0277bd",
}


def _badge(text: str, colour: str):
    return format_html(
        '<span style="background:{};color:#fff;padding:1px 6px;border-radius:8px;'
        'font-size:11px;font-weight:bold">{}</span>',
        colour,
        text,
    )


class ResetCounterForm(forms.Form):
    new_value = forms.IntegerField(
        min_value=0,
        max_value=MAX_CONTROL_NUMBER,
        help_text="The next number issued will be this value + 1.",
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Required. Recorded on the RESET audit row (ticket, partner contact, ...).",
    )
    rollover = forms.BooleanField(
        required=False,
        label="Explicit rollover",
        help_text="Allow a value below the current one: the partner will see those numbers "
        "again. Coordinate with them first.",
    )


class GapFilterForm(forms.Form):
    partner = forms.ChoiceField(required=False)
    transaction_type = forms.ChoiceField(required=False)
    counter_type = forms.ChoiceField(required=False, choices=[("", "All"), *CounterType.choices])
    days = forms.IntegerField(min_value=1, max_value=3650, initial=DEFAULT_DAYS, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        counters = ControlNumberCounter.objects.all()
        partners = sorted(set(counters.values_list("partner_code", flat=True)))
        types = sorted(set(counters.values_list("transaction_type", flat=True)))
        self.fields["partner"].choices = [("", "All"), *[(p, p) for p in partners]]
        self.fields["transaction_type"].choices = [("", "All"), *[(t, t) for t in types]]


class UtilizationFilter(admin.SimpleListFilter):
    """Counters by utilization level (the dashboard links to "near": WARNING or above)."""

    title = "utilization"
    parameter_name = "level"

    def lookups(self, request, model_admin):
        return [
            ("near", "Near rollover (warning or critical)"),
            ("critical", "Critical"),
            ("ok", "OK"),
        ]

    def queryset(self, request, queryset):
        warning = F("max_value") * warning_threshold() / 100
        critical = F("max_value") * critical_threshold() / 100
        if self.value() == "near":
            return queryset.filter(current_value__gte=warning)
        if self.value() == "critical":
            return queryset.filter(current_value__gte=critical)
        if self.value() == "ok":
            return queryset.filter(current_value__lt=warning)
        return queryset


def _counter_values(field: str):
    def values() -> list[tuple[str, str]]:
        found = ControlNumberCounter.objects.order_by().values_list(field, flat=True).distinct()
        return [(v, v) for v in sorted(found)]

    return values


@admin.register(ControlNumberCounter)
class ControlNumberCounterAdmin(ReadOnlyAdmin):
    list_display = (
        "partner_code",
        "transaction_type",
        "counter_type",
        "current_value",
        "utilization_bar",
        "status_badge",
        "last_increment_at",
    )
    list_filter = (UtilizationFilter, "partner_code", "transaction_type", "counter_type")
    search_fields = ("partner_code", "last_file_name")
    ordering = ("partner_code", "transaction_type", "counter_type")
    actions = ["reset_counter"]
    readonly_fields = (
        "partner_code",
        "transaction_type",
        "counter_type",
        "current_value",
        "max_value",
        "epoch",
        "last_increment_at",
        "last_file_name",
        "created_at",
        "modified_at",
    )

    # Counters are created on first use (or by seed_control_numbers) and changed only by
    # allocations and the reset action: read-only here.
    def has_reset_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(RESET_PERMISSION)

    @admin.display(description="utilization")
    def utilization_bar(self, obj: ControlNumberCounter):
        percent = obj.utilization
        colour = _LEVEL_COLOURS[utilization_level(percent)]
        return format_html(
            '<div title="{} left" style="display:inline-block;width:120px;height:10px;'
            'background:#e0e0e0;border-radius:3px;vertical-align:middle">'
            '<div style="width:{}%;height:10px;background:{};border-radius:3px"></div></div>'
            " {}",
            f"{obj.remaining:,}",
            f"{max(percent, 0.5 if percent > 0 else 0):.1f}",
            colour,
            f"{percent:.2f} %",
        )

    @admin.display(description="status")
    def status_badge(self, obj: ControlNumberCounter):
        level = utilization_level(obj.utilization)
        return _badge(level, _LEVEL_COLOURS[level])

    # --- custom page: gap report -------------------------------------------------------------
    def get_urls(self):
        urls = super().get_urls()
        custom = [
            path(
                "gaps/",
                guarded_view(
                    self.admin_site,
                    self.gap_report_view,
                    permissions=("controlnumbers.view_controlnumbercounter",),
                ),
                name="controlnumbers_gap_report",
            ),
        ]
        return custom + urls

    def changelist_view(self, request: HttpRequest, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "gap_report_url": reverse("admin:controlnumbers_gap_report"),
        }
        return super().changelist_view(request, extra_context)

    def gap_report_view(self, request: HttpRequest) -> HttpResponse:
        """Documented vs unexplained gaps with filters, severity colours, totals and CSV."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = GapFilterForm(request.GET or None, initial={"days": DEFAULT_DAYS})
        filters = {"days": DEFAULT_DAYS}
        if form.is_bound and not form.is_valid():
            # no report for filters we cannot read: the page says what to fix, and never
            # shows another period than the one in the form
            context = {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": "Control-number gap report",
                "form": form,
                "invalid": True,
                "severity_colours": _LEVEL_COLOURS,
            }
            return TemplateResponse(
                request, "admin/controlnumbers/gap_report.html", context, status=400
            )
        if form.is_bound:
            data = form.cleaned_data
            filters = {
                "partner_code": data["partner"] or None,
                "transaction_type": data["transaction_type"] or None,
                "counter_type": data["counter_type"] or None,
                "days": data["days"] or DEFAULT_DAYS,
            }
        report = gap_report(**filters)
        if request.GET.get("format") == "csv":
            stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
            return csv_response(f"gap-report-{stamp}.csv", CSV_FIELDS, report.csv_rows())
        query = request.GET.copy()
        query["format"] = "csv"
        rows = [
            {"gap": g, "colour": _LEVEL_COLOURS[g.severity], "audit_url": self._audit_url(g)}
            for g in report.gaps
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Control-number gap report",
            "form": form,
            "report": report,
            "rows": rows,
            "totals": report.totals,
            "severity_colours": _LEVEL_COLOURS,
            "csv_query": query.urlencode(),
            "days": filters["days"],
        }
        return TemplateResponse(request, "admin/controlnumbers/gap_report.html", context)

    @staticmethod
    def _audit_url(gap) -> str:
        url = reverse("admin:controlnumbers_controlnumberaudit_changelist")
        params = f"counter={gap.counter_id}&epoch={gap.epoch}"
        if gap.kind == "documented":
            params += "&status__exact=FAILED"
        return f"{url}?{params}"

    # --- action: reset counter (confirmation page) -------------------------------------------
    @admin.action(description="Reset / roll over the selected counter…", permissions=["reset"])
    def reset_counter(self, request: HttpRequest, queryset: QuerySet):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one counter to reset.", messages.ERROR)
            return None
        counter = queryset.get()

        def perform(data: Mapping[str, Any], eligible: list[ConfirmRow]) -> None:
            row = counter_reset(
                counter_id=counter.id,
                new_value=data["new_value"],
                reason=data["reason"],
                acting_user=request.user,
                rollover=data["rollover"],
            )
            self.message_user(
                request,
                f"Counter {counter} set to {row.number:,} (epoch {row.epoch}); the next "
                f"number issued is {row.number + 1:,}.",
                messages.SUCCESS,
            )

        return confirm_action(
            self,
            request,
            action="reset_counter",
            title=f"Reset counter {counter}",
            warning=format_html(
                "A reset starts a new <strong>epoch</strong> of this counter. The next number "
                "issued is the new value + 1. A value below the current one re-issues numbers "
                "partner {} has already received: it is refused unless you tick <em>Explicit "
                "rollover</em>, and you must coordinate it with the partner first (they may "
                "reject repeated ISA13 as duplicate interchanges). The reason and your user "
                "name are recorded on the RESET audit row.",
                counter.partner_code,
            ),
            columns=["Counter", "Current value", "Epoch", "Max value", "Last increment"],
            rows=[
                ConfirmRow(
                    pk=counter.pk,
                    cells=[
                        str(counter),
                        counter.current_value,
                        counter.epoch,
                        counter.max_value,
                        counter.last_increment_at or "never",
                    ],
                )
            ],
            perform=perform,
            submit_label="Reset counter",
            form_class=ResetCounterForm,
            initial={"new_value": counter.current_value},
            refused_by=(ResetRefused, PermissionDenied),
        )


class AuditPartnerFilter(admin.SimpleListFilter):
    title = "partner"
    parameter_name = "partner"

    def lookups(self, request, model_admin):
        # order_by(): the model's default ordering would add its columns to the DISTINCT
        # (one row per counter: each partner listed three times)
        codes = (
            ControlNumberCounter.objects.order_by()
            .values_list("partner_code", flat=True)
            .distinct()
        )
        return [(c, c) for c in sorted(codes)]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(counter__partner_code=self.value())
        return queryset


@admin.register(ControlNumberAudit)
class ControlNumberAuditAdmin(ReadOnlyAdmin):
    list_display = (
        "number",
        "counter_label",
        "epoch",
        "status_badge",
        "issued_at",
        "short_file_name",
    )
    list_filter = (
        "status",
        AuditPartnerFilter,
        "counter__counter_type",
        # the values come from the (small) counter table, never DISTINCT over the audit
        choices_filter(
            "counter__transaction_type", "transaction type", _counter_values("transaction_type")
        ),
        ("issued_at", admin.DateFieldListFilter),
    )
    # The search box takes a number or an outbound file id (see get_search_results).
    search_fields = ("number", "outbound_file_id", "file_name")
    search_help_text = "A control number, an outbound file id (UUID) or part of a file name."
    list_select_related = ("counter",)
    show_full_result_count = False  # no COUNT(*) over millions of rows on every page
    actions = ["close_gap"]

    # Append-only: nobody adds, edits or deletes audit rows here.
    def has_close_gap_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(CLOSE_GAP_PERMISSION)

    def get_search_results(self, request, queryset, search_term):
        term = (search_term or "").strip()
        if not term:
            return queryset, False
        number = int_param(term)
        if number is not None:
            # counter_id = ANY(...) lets PostgreSQL probe the (counter, number, epoch) index
            # once per counter instead of scanning millions of rows.
            counter_ids = list(ControlNumberCounter.objects.values_list("id", flat=True))
            return queryset.filter(number=number, counter_id__in=counter_ids), False
        try:
            return queryset.filter(outbound_file_id=uuid.UUID(term)), False
        except ValueError:
            return queryset.filter(file_name__icontains=term), False

    @admin.display(description="file")
    def short_file_name(self, obj: ControlNumberAudit) -> str:
        name = obj.file_name or ""
        return format_html('<span title="{}">{}</span>', name, name[:48] or "—")

    @admin.display(description="counter", ordering="counter__partner_code")
    def counter_label(self, obj: ControlNumberAudit) -> str:
        return str(obj.counter)

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj: ControlNumberAudit):
        return _badge(obj.status, _STATUS_COLOURS.get(obj.status, "#616161"))

    @admin.action(
        description="Close gap: FAILED numbers whose file is in outbound storage…",
        permissions=["close_gap"],
    )
    def close_gap(self, request: HttpRequest, queryset: QuerySet):
        failed = list(
            queryset.filter(status=AuditStatus.FAILED)
            .select_related("counter")
            .order_by("counter_id", "number")
        )
        if not failed:
            self.message_user(request, "None of the selected rows is FAILED.", messages.WARNING)
            return None
        preview = gaps_close(audit_ids=[r.id for r in failed], acting_user=None, dry_run=True)
        missing = set(preview.not_found)

        def perform(data: Mapping[str, Any], eligible: list[ConfirmRow]) -> None:
            result = gaps_close(audit_ids=[r.pk for r in eligible], acting_user=request.user)
            level = messages.SUCCESS if result.closed else messages.WARNING
            self.message_user(
                request,
                f"{result.closed} number(s) marked PERSISTED ({len(result.files_found)} file(s) "
                f"found); {len(result.not_found)} still FAILED (file not in outbound storage).",
                level,
            )

        return confirm_action(
            self,
            request,
            action="close_gap",
            title="Close documented gaps",
            intro=(
                "FAILED numbers whose file is found in outbound storage will be marked "
                "PERSISTED with a note naming the file and you. Numbers whose file is not "
                "found stay FAILED (documented gaps): reissue or explain them."
            ),
            columns=["Counter", "Number", "Epoch", "Outbound file id", "Notes"],
            rows=[
                ConfirmRow(
                    pk=r.pk,
                    cells=[str(r.counter), r.number, r.epoch, r.outbound_file_id, r.notes],
                    blocker="file not found in outbound storage" if r.id in missing else "",
                )
                for r in failed
            ],
            perform=perform,
            submit_label="Close gaps",
            form_class=None,
            refused_by=(PermissionDenied,),
        )


class AlertOpenFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("open", "Open"), ("resolved", "Resolved")]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(resolved_at__isnull=True)
        if self.value() == "resolved":
            return queryset.filter(resolved_at__isnull=False)
        return queryset


@admin.register(ControlNumberAlert)
class ControlNumberAlertAdmin(ReadOnlyAdmin):
    list_display = (
        "severity_badge",
        "kind",
        "message",
        "counter",
        "first_seen",
        "last_seen",
        "occurrences",
        "resolved_at",
    )
    list_filter = (AlertOpenFilter, "severity", "kind")
    search_fields = ("message", "key")
    list_select_related = ("counter",)

    # Raised and resolved by the scheduled checks only.
    @admin.display(description="severity", ordering="severity")
    def severity_badge(self, obj: ControlNumberAlert):
        return _badge(obj.severity, _LEVEL_COLOURS.get(obj.severity, "#616161"))
