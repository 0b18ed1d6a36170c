"""Admin for the trading-partner registry."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html_join

from edi_platform import x12

from .models import TradingPartner


@admin.register(TradingPartner)
class TradingPartnerAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "active",
        "sender",
        "usage_indicator",
        "ta1_policy",
        "snip_level",
        "updated_at",
    )
    list_filter = ("active", "usage_indicator", "ta1_policy", "control_number_scope")
    search_fields = ("code", "name", "their_isa_id", "their_gs_code")
    ordering = ("code",)
    readonly_fields = ("created_at", "updated_at", "code_lists")
    fieldsets = (
        (None, {"fields": ("code", "name", "active")}),
        (
            "Their identity (inbound ISA05/ISA06, GS02)",
            {"fields": ("their_isa_qualifier", "their_isa_id", "their_gs_code")},
        ),
        (
            "Our identity towards them (ISA07/ISA08, GS03)",
            {"fields": ("our_isa_qualifier", "our_isa_id", "our_gs_code", "usage_indicator")},
        ),
        (
            "Outbound delimiters",
            {
                "fields": (
                    "element_separator",
                    "component_separator",
                    "repetition_separator",
                    "segment_terminator",
                )
            },
        ),
        (
            "Acknowledgments and validation",
            {
                "fields": (
                    "ta1_policy",
                    "control_number_scope",
                    "version_fallback",
                    "snip_level",
                    "code_sets",
                    "code_lists",
                )
            },
        ),
        (
            "File limits (empty: the site defaults)",
            {"fields": ("max_file_mb", "max_interchanges", "max_sets")},
        ),
        ("History", {"fields": ("created_at", "updated_at")}),
    )

    @admin.display(description="code lists (SNIP 5)")
    def code_lists(self, obj: TradingPartner) -> str:
        """Whether the code lists type 5 checks against are present and current."""
        if not obj.code_sets:
            return "not checked for this partner"
        warnings = x12.code_list_status()
        if not warnings:
            return "present and current"
        return format_html_join(
            "",
            "<div class='code-list-warning' style='color:#b26a00'>{}</div>",
            ((w,) for w in warnings),
        )

    @admin.display(description="ISA sender")
    def sender(self, obj: TradingPartner) -> str:
        return f"{obj.their_isa_qualifier}/{obj.their_isa_id}"
