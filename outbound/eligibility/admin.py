"""Admin of eligibility: the inquiries answered (PHI-gated), per-partner policies, and the
section "Eligibility inquiries answered about this member" on every member page (through the
ledger's member-panel registry). Loaded by ``outbound/admin.py``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html

from edi_platform.core.adminkit import ReadOnlyAdmin
from eventstore.ledger.admin import register_member_panel
from outbound.models import EligibilityInquiry, EligibilityPolicy

from .codes import REJECT_REASONS
from .selectors import member_inquiries

VIEW_MEMBER = "eventstore.view_member"


@admin.register(EligibilityInquiry)
class EligibilityInquiryAdmin(ReadOnlyAdmin):
    """Which member was asked about, by whom, and what we said: PHI, so ``view_member``."""

    list_display = (
        "answered_at",
        "partner",
        "level",
        "result",
        "reasons",
        "as_of",
        "service_types",
        "receiver_npi",
        "member_link",
        "file_link",
    )
    list_filter = ("result", "partner", "aaa_loop", "level", "answered_at")
    search_fields = ("=trace", "=member_id", "=receiver_npi")
    search_help_text = "Our trace number (TRN*1), a member's aggregate id or a provider NPI."
    list_select_related = ("partner", "outcome", "outcome__outbound_file")
    show_full_result_count = False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm(VIEW_MEMBER) and super().has_view_permission(request, obj)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(VIEW_MEMBER) and super().has_module_permission(request)

    @admin.display(description="AAA")
    def reasons(self, obj: EligibilityInquiry) -> str:
        if not obj.aaa_codes:
            return ""
        return "; ".join(
            f"{obj.aaa_loop} {c} {REJECT_REASONS.get(c, '')}" for c in obj.aaa_codes.split(",")
        )

    @admin.display(description="member")
    def member_link(self, obj: EligibilityInquiry) -> str:
        if not obj.member_id:
            return "—"
        return format_html(
            "<a href='{}'>{}</a>",
            reverse("admin:eventstore_member_change", args=[obj.member_id]),
            obj.member_id[:14],
        )

    @admin.display(description="271")
    def file_link(self, obj: EligibilityInquiry) -> str:
        file_id = obj.outcome.outbound_file_id if obj.outcome_id else None
        if not file_id:
            return "—"
        return format_html(
            "<a href='{}'>{}</a>",
            reverse("admin:outbound_outboundfile_change", args=[file_id]),
            f"ISA13 {obj.outcome.outbound_file.isa13:09d}",
        )


@admin.register(EligibilityPolicy)
class EligibilityPolicyAdmin(admin.ModelAdmin):
    """How each partner's 270s are answered (EDI administrators edit these)."""

    list_display = (
        "partner",
        "name_search",
        "require_last_name",
        "require_birth_date",
        "past_days",
        "future_days",
        "realtime_window_minutes",
        "batch_window_minutes",
        "updated_at",
    )
    list_select_related = ("partner",)
    readonly_fields = ("updated_at",)


def member_inquiries_panel(request: HttpRequest, aggregate_id: str) -> str | None:
    """The member page's section: every inquiry answered about the member (PHI-gated)."""
    if not request.user.has_perm(VIEW_MEMBER):
        return None
    return render_to_string(
        "admin/outbound/eligibility/_member_inquiries.html",
        {"inquiries": member_inquiries(aggregate_id)},
        request=request,
    )


register_member_panel("eligibility", member_inquiries_panel)
