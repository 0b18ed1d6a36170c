"""Admin: outbound files (preview, download, audit links), quarantine with Reprocess, pending
outcomes against their SLA, the outbox and its dead letters with Resubmit, batch windows."""

from __future__ import annotations

import csv
from datetime import timedelta

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Min, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST

from .models import (
    BatchWindow,
    DeadLetter,
    OperatorAction,
    OutboundFile,
    OutboundFileStatus,
    OutboxMessage,
    OutboxStatus,
    OutcomeStatus,
    ProcessingOutcome,
    QuarantinedFile,
)
from .services.assembly import outbound_assemble
from .services.outbox import outbox_publish, outbox_resubmit
from .services.quarantine import ReprocessRefused, outbound_reprocess
from .services.recovery import outbound_recover
from .services.storage import outbound_storage

PREVIEW_MAX_SEGMENTS = 2000


def _audit_url(file_id) -> str | None:
    """The control-number audit rows of a file (when that admin is installed)."""
    try:
        base = reverse("admin:controlnumbers_controlnumberaudit_changelist")
    except NoReverseMatch:
        return None
    return f"{base}?q={file_id}"


def _confirm(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset,
    *,
    action: str,
    title: str,
    warning: str,
    perform,
):
    """Django's confirmation-page pattern: the first POST shows the objects, a reason box
    and the warning; the second POST (``confirm``) performs the action per object."""
    if request.POST.get("confirm") == "yes":
        reason = request.POST.get("reason", "").strip()
        done, refused = 0, []
        for obj in queryset:
            try:
                perform(obj, reason)
                done += 1
            except (ReprocessRefused, ValueError) as exc:
                refused.append(str(exc))
        if done:
            modeladmin.message_user(request, f"{title}: {done} done.", messages.SUCCESS)
        for text in refused:
            modeladmin.message_user(request, text, messages.WARNING)
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "objects": list(queryset),
        "action": action,
        "warning": warning,
        "opts": modeladmin.model._meta,
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/outbound/confirm_action.html", context)


def _age_against_sla(age: timedelta, sla_minutes: int | None) -> str:
    minutes = int(age.total_seconds() // 60)
    text = f"{minutes} min" if minutes < 120 else f"{minutes / 60:.1f} h"
    if sla_minutes is None:
        return format_html("{} <span class='quiet'>(no SLA)</span>", text)
    if age > timedelta(minutes=sla_minutes):
        return format_html(
            "<strong class='sla-breached' style='color:#ba2121'>{} — SLA {} min breached</strong>",
            text,
            sla_minutes,
        )
    return format_html("{} <span class='quiet'>/ SLA {} min</span>", text, sla_minutes)


@admin.register(BatchWindow)
class BatchWindowAdmin(admin.ModelAdmin):
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


class OutcomeInline(admin.TabularInline):
    model = ProcessingOutcome
    fields = ("id", "response_type", "status", "batch", "isa13", "gs06", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(OutboundFile)
class OutboundFileAdmin(admin.ModelAdmin):
    list_display = (
        "isa13_text",
        "partner",
        "transaction_type",
        "status",
        "outcome_count",
        "size",
        "segment_count",
        "batch_timestamp",
        "created_at",
    )
    list_filter = ("status", "transaction_type", "partner", "created_at")
    date_hierarchy = "created_at"
    search_fields = ("storage_path", "partner__code", "sha256")
    list_select_related = ("partner",)
    actions = ["reprocess"]
    inlines = [OutcomeInline]
    change_list_template = "admin/outbound/outboundfile/change_list.html"
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "id",
                    "partner",
                    "transaction_type",
                    "status",
                    "status_reason",
                    "links",
                )
            },
        ),
        ("Control numbers", {"fields": ("isa13_text", "gs06", "st02s")}),
        (
            "Stored file",
            {
                "fields": (
                    "storage_path",
                    "size",
                    "segment_count",
                    "sha256",
                    "batch_timestamp",
                )
            },
        ),
        (
            "Provenance",
            {"fields": ("ingestion_ids", "outcome_ids", "reprocessed_from", "envelope")},
        ),
        ("Preview", {"fields": ("preview",)}),
        ("History", {"fields": ("created_at", "updated_at")}),
    )

    def get_readonly_fields(self, request, obj=None):
        return [f for fs in self.fieldsets for f in fs[1]["fields"]]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # files and their numbers are records; never deleted from the admin

    @admin.display(description="ISA13", ordering="isa13")
    def isa13_text(self, obj: OutboundFile) -> str:
        return f"{obj.isa13:09d}"

    @admin.display(description="outcomes")
    def outcome_count(self, obj: OutboundFile) -> int:
        return len(obj.outcome_ids)

    @admin.display(description="links")
    def links(self, obj: OutboundFile) -> str:
        items = []
        if obj.storage_path:
            items.append(
                (reverse("admin:outbound_outboundfile_download", args=[obj.pk]), "Download")
            )
        audit = _audit_url(obj.pk)
        if audit:
            items.append((audit, "Control-number audit"))
        outcomes = reverse("admin:outbound_processingoutcome_changelist")
        items.append((f"{outcomes}?outbound_file__id__exact={obj.pk}", "Outcomes"))
        message = OutboxMessage.objects.filter(outbound_file=obj).first()
        if message:
            items.append(
                (
                    reverse("admin:outbound_outboxmessage_change", args=[message.pk]),
                    f"Outbox message ({message.status})",
                )
            )
        if obj.reprocessed_from_id:
            items.append(
                (
                    reverse("admin:outbound_outboundfile_change", args=[obj.reprocessed_from_id]),
                    "Reprocessed from",
                )
            )
        for newer in obj.reprocessed_as.all():
            items.append(
                (reverse("admin:outbound_outboundfile_change", args=[newer.pk]), "Reprocessed as")
            )
        return format_html_join(" · ", "<a href='{}'>{}</a>", items)

    @admin.display(description="segments (one per line)")
    def preview(self, obj: OutboundFile) -> str:
        data = self._read(obj)
        if data is None:
            return "The file is not in storage."
        terminator = obj.envelope.get("delimiters", {}).get("segment", "~")
        text = data.decode("latin-1")
        segments = [s.strip("\r\n") for s in text.split(terminator) if s.strip("\r\n")]
        shown = segments[:PREVIEW_MAX_SEGMENTS]
        more = len(segments) - len(shown)
        body = "\n".join(s + terminator for s in shown)
        if more > 0:
            body += f"\n… {more} more segment(s): download the file"
        return format_html("<pre class='edi-preview'>{}</pre>", body)

    @staticmethod
    def _read(obj: OutboundFile) -> bytes | None:
        if not obj.storage_path:
            return None
        storage = outbound_storage()
        if not storage.exists(obj.storage_path):
            return None
        with storage.open(obj.storage_path, "rb") as fh:
            return fh.read()

    def get_urls(self):
        custom = [
            path(
                "<uuid:file_id>/download/",
                self.admin_site.admin_view(self.download_view),
                name="outbound_outboundfile_download",
            ),
            path(
                "run/<str:what>/",
                self.admin_site.admin_view(require_POST(self.run_view)),
                name="outbound_outboundfile_run",
            ),
        ]
        return custom + super().get_urls()

    def download_view(self, request: HttpRequest, file_id) -> FileResponse:
        obj = OutboundFile.objects.filter(pk=file_id).first()
        if obj is None or not self.has_view_permission(request, obj):
            raise Http404
        storage = outbound_storage()
        if not obj.storage_path or not storage.exists(obj.storage_path):
            raise Http404("The file is not in storage.")
        return FileResponse(
            storage.open(obj.storage_path, "rb"),
            as_attachment=True,
            filename=obj.file_name,
            content_type="application/edi-x12",
        )

    def run_view(self, request: HttpRequest, what: str) -> HttpResponseRedirect:
        """'Run now' buttons: the schedules' services, for the embedded default."""
        if not self.has_view_permission(request) or not request.user.has_perm(
            "outbound.change_outboundfile"
        ):
            raise PermissionDenied
        actor = f"admin:{request.user.get_username()}"
        if what == "assemble":
            text = outbound_assemble(actor=actor).summary()
        elif what == "assemble-all":
            text = outbound_assemble(ignore_windows=True, actor=actor).summary()
        elif what == "publish":
            text = outbox_publish().summary()
        elif what == "recover":
            text = outbound_recover().summary()
        else:
            raise Http404
        self.message_user(request, text, messages.INFO)
        return HttpResponseRedirect(reverse("admin:outbound_outboundfile_changelist"))

    @admin.action(description="Reprocess quarantined files (new control numbers)")
    def reprocess(self, request, queryset):
        if not request.user.has_perm("outbound.change_outboundfile"):
            raise PermissionDenied
        queryset = queryset.filter(status=OutboundFileStatus.QUARANTINED)
        actor = request.user.get_username()
        return _confirm(
            self,
            request,
            queryset,
            action="reprocess",
            title="Reprocess quarantined files",
            warning=(
                "Each file's outcomes are assembled again into a NEW file with NEW control "
                "numbers. The quarantined file and its FAILED numbers stay as documented gaps."
            ),
            perform=lambda obj, reason: outbound_reprocess(
                file_id=obj.pk, acting_user=actor, reason=reason
            ),
        )


@admin.register(QuarantinedFile)
class QuarantinedFileAdmin(OutboundFileAdmin):
    list_display = (
        "isa13_text",
        "partner",
        "transaction_type",
        "status_reason",
        "outcome_count",
        "created_at",
        "reprocessed",
    )
    list_filter = ("transaction_type", "partner", "created_at")
    change_list_template = None

    def get_queryset(self, request):
        return super().get_queryset(request).filter(status=OutboundFileStatus.QUARANTINED)

    def get_urls(self):
        return admin.ModelAdmin.get_urls(self)

    @admin.display(description="reprocessed", boolean=True)
    def reprocessed(self, obj: OutboundFile) -> bool:
        return obj.reprocessed_as.exists()


@admin.register(ProcessingOutcome)
class ProcessingOutcomeAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "partner",
        "response_type",
        "status",
        "age_vs_sla",
        "due_at",
        "file_link",
        "batch",
    )
    list_filter = ("status", "response_type", "partner")
    search_fields = ("=id", "partner__code", "isa13", "dedupe_key")
    list_select_related = ("partner", "outbound_file")
    change_list_template = "admin/outbound/processingoutcome/change_list.html"
    readonly_fields = (
        "partner",
        "response_type",
        "batch",
        "isa13",
        "gs06",
        "st02s",
        "payload",
        "dedupe_key",
        "status",
        "created_at",
        "due_at",
        "claimed_at",
        "assembled_at",
        "outbound_file",
        "failure_reason",
    )

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def _slas(self) -> dict[str, int | None]:
        if not hasattr(self, "_sla_cache"):
            self._sla_cache = dict(BatchWindow.objects.values_list("response_type", "sla_minutes"))
        return self._sla_cache

    def changelist_view(self, request, extra_context=None):
        self._sla_cache = dict(BatchWindow.objects.values_list("response_type", "sla_minutes"))
        if request.GET.get("format") == "pending-csv":
            return self._pending_csv()
        extra_context = {**(extra_context or {}), "pending_rows": pending_summary()}
        return super().changelist_view(request, extra_context)

    def _pending_csv(self) -> HttpResponse:
        response = HttpResponse(content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="pending-outcomes.csv"'
        writer = csv.writer(response)
        writer.writerow(
            ["partner", "response_type", "pending", "oldest_minutes", "sla_minutes", "breached"]
        )
        for row in pending_summary():
            writer.writerow(
                [
                    row["partner"],
                    row["response_type"],
                    row["count"],
                    row["age_minutes"],
                    row["sla_minutes"],
                    row["breached"],
                ]
            )
        return response

    @admin.display(description="age vs SLA")
    def age_vs_sla(self, obj: ProcessingOutcome) -> str:
        end = obj.assembled_at if obj.status == OutcomeStatus.ASSEMBLED else timezone.now()
        return _age_against_sla(
            (end or timezone.now()) - obj.created_at, self._slas().get(obj.response_type)
        )

    @admin.display(description="file")
    def file_link(self, obj: ProcessingOutcome) -> str:
        if not obj.outbound_file_id:
            return "—"
        return format_html(
            "<a href='{}'>{}</a>",
            reverse("admin:outbound_outboundfile_change", args=[obj.outbound_file_id]),
            f"ISA13 {obj.outbound_file.isa13:09d}",
        )


def pending_summary(now=None) -> list[dict]:
    """Outcomes not answered yet, per partner and response type, oldest age against SLA."""
    now = now or timezone.now()
    slas = dict(BatchWindow.objects.values_list("response_type", "sla_minutes"))
    rows = (
        ProcessingOutcome.objects.filter(status__in=[OutcomeStatus.PENDING, OutcomeStatus.CLAIMED])
        .values("partner__code", "response_type")
        .annotate(
            count=Count("id"),
            oldest=Min("created_at"),
            claimed=Count("id", filter=Q(status=OutcomeStatus.CLAIMED)),
        )
        .order_by("partner__code", "response_type")
    )
    out = []
    for row in rows:
        age = now - row["oldest"]
        sla = slas.get(row["response_type"])
        out.append(
            {
                "partner": row["partner__code"],
                "response_type": row["response_type"],
                "count": row["count"],
                "claimed": row["claimed"],
                "age_minutes": int(age.total_seconds() // 60),
                "sla_minutes": sla,
                "breached": sla is not None and age > timedelta(minutes=sla),
                "age_display": _age_against_sla(age, sla),
            }
        )
    return out


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "file_link",
        "stream",
        "status",
        "attempts",
        "next_attempt_at",
        "short_error",
        "sent_at",
        "redis_message_id",
    )
    list_filter = ("status", "stream")
    search_fields = ("redis_message_id", "payload__file_id")
    list_select_related = ("outbound_file",)
    actions = ["resubmit"]
    readonly_fields = (
        "outbound_file",
        "stream",
        "payload",
        "status",
        "attempts",
        "last_error",
        "next_attempt_at",
        "created_at",
        "sent_at",
        "redis_message_id",
    )

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="file")
    def file_link(self, obj: OutboxMessage) -> str:
        return format_html(
            "<a href='{}'>{}</a>",
            reverse("admin:outbound_outboundfile_change", args=[obj.outbound_file_id]),
            obj.payload.get("storage_path", str(obj.outbound_file_id)).rsplit("/", 1)[-1],
        )

    @admin.display(description="last error")
    def short_error(self, obj: OutboxMessage) -> str:
        return obj.last_error[:80]

    @admin.action(description="Resubmit dead letters")
    def resubmit(self, request, queryset):
        if not request.user.has_perm("outbound.change_outboxmessage"):
            raise PermissionDenied
        actor = request.user.get_username()
        return _confirm(
            self,
            request,
            queryset.filter(status=OutboxStatus.DEAD),
            action="resubmit",
            title="Resubmit dead letters",
            warning="The messages go back to PENDING with their attempts reset; the publisher "
            "sends them on its next run (a file already in the stream is not added twice).",
            perform=lambda obj, reason: outbox_resubmit(
                message_id=obj.pk, acting_user=actor, reason=reason
            ),
        )


@admin.register(DeadLetter)
class DeadLetterAdmin(OutboxMessageAdmin):
    list_display = ("id", "file_link", "attempts", "last_error", "created_at")
    list_filter = ("stream",)

    def get_queryset(self, request):
        return super().get_queryset(request).filter(status=OutboxStatus.DEAD)


@admin.register(OperatorAction)
class OperatorActionAdmin(admin.ModelAdmin):
    """Append-only: operators' reprocess/resubmit actions, read-only for everyone."""

    list_display = ("created_at", "action", "actor", "outbound_file", "reason", "result")
    list_filter = ("action",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
