"""Admin for the trading-partner registry."""

from __future__ import annotations

from django.contrib import admin

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
        "control_number_scope",
        "updated_at",
    )
    list_filter = ("active", "usage_indicator", "ta1_policy", "control_number_scope")
    search_fields = ("code", "name", "their_isa_id", "their_gs_code")
    ordering = ("code",)
    readonly_fields = ("created_at", "updated_at")
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
            {"fields": ("ta1_policy", "control_number_scope", "version_fallback")},
        ),
        ("History", {"fields": ("created_at", "updated_at")}),
    )

    @admin.display(description="ISA sender")
    def sender(self, obj: TradingPartner) -> str:
        return f"{obj.their_isa_qualifier}/{obj.their_isa_id}"
