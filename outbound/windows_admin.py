"""Admin of the batch windows: one row per response type (editable in the list), a field
error for a batch size below 1, a warning when a window is longer than its SLA."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages

from .models import BatchWindow
from .responders import response_types, spec_for


class BatchWindowForm(forms.ModelForm):
    """The response type is one the responder registry declares; a batch holds at least
    one outcome (a field error on its own cell, not the database constraint's name)."""

    response_type = forms.ChoiceField(choices=())
    max_batch_size = forms.IntegerField(min_value=1, help_text="Outcomes per file (1 or more).")

    class Meta:
        model = BatchWindow
        fields = (
            "response_type",
            "window_minutes",
            "max_batch_size",
            "priority",
            "sla_minutes",
            "enabled",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "response_type" in self.fields:
            choices = [(t, spec_for(t).label) for t in response_types()]
            self.fields["response_type"].choices = choices


class BatchWindowListForm(BatchWindowForm):
    """The list's editable columns (the response type is the row, not a field)."""

    response_type = None  # type: ignore[assignment]

    class Meta(BatchWindowForm.Meta):
        fields = ("window_minutes", "max_batch_size", "priority", "sla_minutes", "enabled")


@admin.register(BatchWindow)
class BatchWindowAdmin(admin.ModelAdmin):
    form = BatchWindowForm
    list_display = (
        "response_type",
        "window_minutes",
        "max_batch_size",
        "priority",
        "sla_minutes",
        "enabled",
    )
    list_editable = ("window_minutes", "max_batch_size", "priority", "sla_minutes", "enabled")
    ordering = ("priority", "response_type")

    def get_changelist_form(self, request, **kwargs):
        return BatchWindowListForm

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if obj.sla_minutes is not None and obj.window_minutes > obj.sla_minutes:
            self.message_user(
                request,
                f"{obj.response_type}: the window ({obj.window_minutes} min) is longer than "
                f"the SLA ({obj.sla_minutes} min): every outcome will breach its SLA before "
                "it is assembled.",
                messages.WARNING,
            )
