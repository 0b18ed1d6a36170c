"""Admin of remittance: imported files (with the upload page), payments (each one 835) and
adjudications (PHI: ``eventstore.view_member``, like the claims they belong to). Loaded by
``outbound/admin.py``. The upload page is a thin interface over
:func:`outbound.remittance.services.remittance_import` (same code path as the command).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from edi_platform.core.adminkit import ReadOnlyAdmin, guarded_view
from outbound.models import Adjudication, RemittanceImport, RemittancePayment

from .services import RemittanceRefused, remittance_import

VIEW_MEMBER = "eventstore.view_member"
ADD_IMPORT = "outbound.add_remittanceimport"
MAX_UPLOAD_BYTES = 256 * 1024 * 1024


class RemittanceUploadForm(forms.Form):
    results = forms.FileField(
        label="Adjudication results",
        help_text="The JSON file, or the claims CSV of the CSV pair.",
    )
    lines = forms.FileField(
        label="Service lines CSV", required=False, help_text="Only with a claims CSV."
    )


@admin.register(RemittanceImport)
class RemittanceImportAdmin(ReadOnlyAdmin):
    """Imported files: counts and who imported them (no PHI)."""

    list_display = (
        "id",
        "name",
        "file_format",
        "payments",
        "claims",
        "total_paid",
        "imported_by",
        "imported_at",
    )
    search_fields = ("=sha256", "name")
    change_list_template = "admin/outbound/remittance/import_changelist.html"

    def get_urls(self) -> list:
        return [
            path(
                "upload/",
                guarded_view(self.admin_site, self.upload_view, permissions=(ADD_IMPORT,)),
                name="outbound_remittanceimport_upload",
            ),
            *super().get_urls(),
        ]

    def upload_view(self, request: HttpRequest) -> HttpResponse:
        form = RemittanceUploadForm(request.POST or None, request.FILES or None)
        problems: list[str] = []
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["results"]
            lines = form.cleaned_data.get("lines")
            if upload.size > MAX_UPLOAD_BYTES:
                form.add_error("results", "too big: import it with manage.py import_remittance")
            else:
                try:
                    result = remittance_import(
                        data=upload.read(),
                        lines_data=lines.read() if lines else None,
                        name=upload.name,
                        file_format="csv" if lines else "",
                        acting_user=request.user,
                    )
                except RemittanceRefused as exc:
                    problems = exc.messages
                    self.message_user(
                        request,
                        f"{upload.name}: refused, nothing was imported "
                        f"({len(exc.messages)} problem(s), listed below).",
                        messages.ERROR,
                    )
                else:
                    self.message_user(request, f"{upload.name}: {result.text()}", messages.SUCCESS)
                    return HttpResponseRedirect(
                        reverse("admin:outbound_remittanceimport_changelist")
                    )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "form": form,
            "problems": problems,
            "title": "Import adjudication results",
        }
        return TemplateResponse(request, "admin/outbound/remittance/upload.html", context)


@admin.register(RemittancePayment)
class RemittancePaymentAdmin(ReadOnlyAdmin):
    """Payments (check / EFT), each one 835 set: payee, amount, trace, the file."""

    list_display = (
        "id",
        "partner",
        "method",
        "amount",
        "paid_on",
        "trace_number",
        "claims",
        "file_link",
    )
    list_filter = ("method", "partner", "paid_on")
    search_fields = ("=trace_number", "=payee_npi")
    list_select_related = ("partner", "outcome", "outcome__outbound_file")

    @admin.display(description="835")
    def file_link(self, obj: RemittancePayment) -> str:
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


@admin.register(Adjudication)
class AdjudicationAdmin(ReadOnlyAdmin):
    """Each claim's adjudication: PHI (its claim names the patient), so ``view_member``."""

    list_display = (
        "id",
        "claim_link",
        "partner",
        "status",
        "charge",
        "paid",
        "patient_responsibility",
        "carcs",
        "paid_on",
    )
    list_filter = ("status", "partner", "paid_on")
    search_fields = ("=payer_claim_id", "=claim__payer_claim_control_number")
    list_select_related = ("partner",)
    show_full_result_count = False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm(VIEW_MEMBER) and super().has_view_permission(request, obj)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(VIEW_MEMBER) and super().has_module_permission(request)

    @admin.display(description="claim")
    def claim_link(self, obj: Adjudication) -> str:
        return format_html(
            "<a href='{}'>claim {}</a>",
            reverse("admin:outbound_claim_change", args=[obj.claim_id]),
            obj.claim_id,
        )

    @admin.display(description="CAS")
    def carcs(self, obj: Adjudication) -> str:
        return ", ".join(f"{a[0]}-{a[1]} {a[2]}" for a in obj.adjustments)
