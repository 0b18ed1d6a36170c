"""Admin of the API: keys (create — the key is shown once —, revoke) and the PHI access
records (read-only, for auditors)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from edi_platform.core.adminkit import ConfirmRow, ReadOnlyAdmin, confirm_action

from .access import ApiAccessRecord
from .keys.models import ApiKey
from .keys.services import api_key_create, api_key_revoke


class ApiKeyForm(forms.ModelForm):
    class Meta:
        model = ApiKey
        fields = ("name", "partner", "user", "expires_at")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if bool(data.get("partner")) == bool(data.get("user")):
            raise forms.ValidationError(
                "Choose a partner (a partner key) or a user (a staff token), not both."
            )
        return data


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    form = ApiKeyForm
    list_display = ("prefix", "name", "partner", "user", "expires_at", "revoked_at", "last_used_at")
    list_filter = ("revoked_at",)
    search_fields = ("prefix", "name", "partner__code", "user__username")
    readonly_fields = (
        "prefix",
        "created_at",
        "created_by",
        "revoked_at",
        "revoked_by",
        "last_used_at",
    )
    actions = ["revoke"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None:  # a key never changes owner or secret: revoke and create anew
            return (*self.readonly_fields, "name", "partner", "user", "expires_at")
        return self.readonly_fields

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: ApiKey, form: Any, change: bool) -> None:
        if change:
            return  # nothing of a key is edited
        new = api_key_create(
            name=obj.name,
            partner=obj.partner,
            user=obj.user,
            expires_at=obj.expires_at,
            acting_user=request.user,
        )
        obj.pk = new.key.pk
        obj._shown_once = new.secret  # type: ignore[attr-defined]

    def response_add(self, request: HttpRequest, obj: ApiKey, post_url_continue=None) -> Any:
        secret = getattr(obj, "_shown_once", "")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "API key created",
            "key": ApiKey.objects.get(pk=obj.pk),
            "secret": secret,
        }
        response = TemplateResponse(request, "admin/api/apikey_created.html", context)
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description="Revoke the selected keys", permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: Any) -> HttpResponse | None:
        rows = [
            ConfirmRow(k.pk, [str(k)], "already revoked" if k.revoked_at else "") for k in queryset
        ]

        def perform(_: Any, eligible: list[ConfirmRow]) -> None:
            done = sum(
                api_key_revoke(key=ApiKey.objects.get(pk=r.pk), acting_user=request.user)
                for r in eligible
            )
            self.message_user(request, f"{done} key(s) revoked.", messages.SUCCESS)

        return confirm_action(
            self,
            request,
            action="revoke",
            title="Revoke API keys",
            columns=["Key"],
            rows=rows,
            perform=perform,
            submit_label="Yes, revoke",
            form_class=None,
        )


@admin.register(ApiAccessRecord)
class ApiAccessRecordAdmin(ReadOnlyAdmin):
    list_display = (
        "at",
        "resource",
        "key_prefix",
        "partner_code",
        "username",
        "method",
        "status_code",
    )
    list_filter = ("resource", "method")
    search_fields = ("key_prefix", "partner_code", "username")
    date_hierarchy = "at"
