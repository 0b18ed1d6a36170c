"""Admin of claims: the registry (PHI-gated: ``eventstore.view_member``), each claim's page as
its journey (received → 999 → 277CA → later responses), per-partner edit settings, and the
section "Claims of this batch" on every batch page (through inbound's batch-panel
registry). Loaded by ``outbound/admin.py``.

Search: a patient control number, our claim control number, a billing provider NPI, a
subscriber id or a member's aggregate id; filters: status, kind, partner, received, dates
of service (``?service_from__gte=YYYY-MM-DD&service_to__lte=YYYY-MM-DD`` for any range).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from edi_platform.core.adminkit import ReadOnlyAdmin
from edi_platform.core.params import int_param
from eventstore.inbound.admin import register_batch_panel
from outbound.models import Claim, ClaimEditSetting

from .codes import stc_meaning
from .edits import EDITS, SWITCHABLE, edit_for
from .selectors import batch_claim_summary, claim_journey

VIEW_MEMBER = "eventstore.view_member"
# lookups a link or a bookmarked search may use besides the list filters
_RANGE_LOOKUPS = frozenset({"service_from__gte", "service_to__lte", "batch", "header"})


@admin.register(Claim)
class ClaimAdmin(ReadOnlyAdmin):
    """Every claim received and our verdict: PHI, so ``view_member`` (like members)."""

    # fits 1,366 px: the claim type (a filter), the NPI, subscriber, service dates and our
    # number are on the claim's page (its journey) and in the search
    list_display = (
        "id",
        "received_at",
        "partner",
        "patient_control_number",
        "total_charge",
        "status",
        "codes",
        "file_link",
    )
    list_filter = ("status", "claim_type", "partner", "received_at", "service_from")
    search_fields = (
        "=patient_control_number",
        "=payer_claim_control_number",
        "=billing_provider_npi",
        "=subscriber_id",
        "=subscriber_member",
        "=patient_member",
    )
    search_help_text = (
        "A patient control number (CLM01), our claim control number (REF*1K), a billing "
        "provider NPI, a subscriber id or a member's aggregate id."
    )
    list_select_related = ("partner", "outcome", "outcome__outbound_file")
    show_full_result_count = False
    change_form_template = "admin/outbound/claims/claim_journey.html"

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm(VIEW_MEMBER) and super().has_view_permission(request, obj)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(VIEW_MEMBER) and super().has_module_permission(request)

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest | None = None) -> bool:
        if lookup in _RANGE_LOOKUPS:
            return True
        return super().lookup_allowed(lookup, value, request)

    def get_search_results(self, request: HttpRequest, queryset: Any, search_term: str) -> Any:
        # our claim control number is a number (bigint): a term that is not one searches
        # the other fields only
        if search_term.strip() and int_param(search_term) is None:
            fields = [f for f in self.search_fields if f != "=payer_claim_control_number"]
            original, self.search_fields = self.search_fields, tuple(fields)
            try:
                return super().get_search_results(request, queryset, search_term)
            finally:
                self.search_fields = original
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description="STC")
    def codes(self, obj: Claim) -> str:
        if obj.status == "REJECTED_999":
            return "999 R"
        if not obj.reasons:
            return "A2:20"
        return ", ".join(":".join(p for p in r[1:4] if p) for r in obj.reasons)

    @admin.display(description="277CA")
    def file_link(self, obj: Claim) -> str:
        outcome = obj.outcome if obj.outcome_id else None
        if outcome is None:
            return "—"
        if not outcome.outbound_file_id:
            return outcome.get_status_display()
        return format_html(
            "<a href='{}'>ISA13 {}</a>",
            reverse("admin:outbound_outboundfile_change", args=[outcome.outbound_file_id]),
            f"{outcome.outbound_file.isa13:09d}",
        )

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> TemplateResponse:
        claim = self.get_object(request, object_id)
        context = dict(extra_context or {})
        if claim is not None and self.has_view_permission(request, claim):
            context["journey"] = claim_journey(claim)
            context["reasons"] = [
                {
                    "edit": r[0],
                    "stc": stc_meaning(r[1], r[2], r[3]),
                    "description": edit.description if (edit := edit_for(r[0])) else "",
                    "lines": ", ".join(map(str, r[4])) if len(r) > 4 and r[4] else "",
                }
                for r in claim.reasons
            ]
        return super().change_view(request, object_id, form_url, extra_context=context)


class ClaimEditSettingForm(forms.ModelForm):
    """An edit is one of the table's switchable edits."""

    edit = forms.ChoiceField(
        choices=[(e.code, f"{e.code} — {e.stc}") for e in EDITS if e.switchable]
    )

    class Meta:
        model = ClaimEditSetting
        fields = ("partner", "edit", "enabled")


@admin.register(ClaimEditSetting)
class ClaimEditSettingAdmin(admin.ModelAdmin):
    """Business edits switched on or off per partner (no row: on). EDI administrators."""

    form = ClaimEditSettingForm
    list_display = ("partner", "edit", "stc", "description", "enabled", "updated_at")
    list_filter = ("enabled", "edit", "partner")
    list_select_related = ("partner",)
    readonly_fields = ("updated_at",)

    @admin.display(description="STC")
    def stc(self, obj: ClaimEditSetting) -> str:
        edit = edit_for(obj.edit)
        return edit.stc if edit else "?"

    @admin.display(description="what it checks")
    def description(self, obj: ClaimEditSetting) -> str:
        edit = edit_for(obj.edit)
        return edit.description if edit and obj.edit in SWITCHABLE else "(not a switchable edit)"


def batch_claims_panel(request: HttpRequest, batch: Any) -> str | None:
    """Claims of the batch by status (counts; the list itself needs ``view_member``)."""
    if not request.user.has_perm("outbound.view_claim"):
        return None
    summary = batch_claim_summary(batch.pk)
    if not any(summary.values()):
        return None
    link = None
    if request.user.has_perm(VIEW_MEMBER):
        link = reverse("admin:outbound_claim_changelist") + f"?batch={batch.pk}"
    return render_to_string(
        "admin/outbound/claims/_batch_claims.html",
        {"summary": summary, "link": link},
        request=request,
    )


register_batch_panel("claims", batch_claims_panel)
