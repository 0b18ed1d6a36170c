"""Admin: outbound files (preview, download, audit links), quarantine with Reprocess, pending
outcomes against their SLA, the outbox and its dead letters with Resubmit, batch windows.

Outcome payloads, file previews and downloads can hold PHI: they need
``outbound.view_file_content`` (the PHI classification in :mod:`outbound.phi`). A batch's
page shows what it is owed and was sent (through inbound's batch-panel registry), and a
file's page links back to the batches it answers. Claims' and eligibility's own admins live
in :mod:`outbound.claims.admin` and :mod:`outbound.eligibility.admin`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST

from edi_platform.core.adminkit import (
    ConfirmRow,
    ReadOnlyAdmin,
    ReadOnlyInline,
    RecordAdmin,
    change_url,
    choices_filter,
    confirm_action,
    csv_response,
    guarded_view,
)
from edi_platform.core.params import int_param
from eventstore.models import TransactionBatch

from . import journey
from . import windows_admin as _windows_admin  # noqa: F401  (registers the batch windows)
from .admin_filters import FileStateFilter, ReprocessedFilter, SlaFilter
from .claims import admin as _claims_admin  # noqa: F401  (registers its admins)
from .eligibility import admin as _eligibility_admin  # noqa: F401  (registers its admins)
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
from .phi import VIEW_FILE_CONTENT
from .remittance import admin as _remittance_admin  # noqa: F401  (registers its admins)
from .responders import response_types
from .selectors import age_against_sla, pending_summary
from .services.assembly import outbound_assemble
from .services.outbox import outbox_publish, outbox_resubmit
from .services.recovery import outbound_recover
from .services.reprocess import ReprocessRefused, outbound_reprocess
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
    qualifies,
    perform,
):
    """The kit's confirmation page for a per-object action with a reason; ``qualifies(obj)``
    says why an object cannot be acted on ("" when it can), ``perform(obj, reason)`` calls
    the service."""
    rows = [ConfirmRow(pk=obj.pk, cells=[str(obj)], blocker=qualifies(obj)) for obj in queryset]
    objects = {obj.pk: obj for obj in queryset}

    def run(data: Mapping[str, Any], eligible: list[ConfirmRow]) -> None:
        done, refused = 0, []
        for row in eligible:
            try:
                perform(objects[row.pk], data["reason"])
                done += 1
            except (ReprocessRefused, ValueError) as exc:
                refused.append(str(exc))
        if done:
            modeladmin.message_user(request, f"{title}: {done} done.", messages.SUCCESS)
        for text in refused:
            modeladmin.message_user(request, text, messages.WARNING)

    return confirm_action(
        modeladmin,
        request,
        action=action,
        title=title,
        warning=warning,
        columns=[modeladmin.model._meta.verbose_name.capitalize()],
        rows=rows,
        perform=run,
        submit_label=f"Yes, {title.lower()}",
    )


class OutcomeInline(ReadOnlyInline):
    model = ProcessingOutcome
    fields = ("id", "response_type", "status", "batch", "isa13", "gs06", "created_at")
    readonly_fields = fields
    show_change_link = True


def _response_types() -> list[tuple[str, str]]:
    return [(t, t) for t in response_types()]


@admin.register(OutboundFile)
class OutboundFileAdmin(RecordAdmin):
    list_display = (
        "isa13_text",
        "partner",
        "transaction_type",
        "status",
        "outcome_count",
        "size",
        "created_at",
        "received_at",
    )
    list_filter = (
        FileStateFilter,
        "status",
        choices_filter("transaction_type", "transaction type", _response_types),
        "partner",
        "created_at",
    )
    show_full_result_count = False
    search_fields = ("storage_path",)  # see get_search_results
    search_help_text = (
        "ISA13 we sent, the inbound ISA13 or file name it answers, part of the file name, "
        "the start of the sha256, or a partner code."
    )
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
                    "download_link",
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
            {"fields": ("answers", "batch_links", "outcome_links", "reprocessed_from", "envelope")},
        ),
        ("Preview", {"fields": ("preview",)}),
        ("Delivery", {"fields": ("received_at", "received_by")}),
        ("History", {"fields": ("created_at", "updated_at")}),
    )

    def get_readonly_fields(self, request, obj=None):
        return [f for fs in self.fieldsets for f in fs[1]["fields"]]

    @admin.display(description="ISA13", ordering="isa13")
    def isa13_text(self, obj: OutboundFile) -> str:
        return f"{obj.isa13:09d}"

    @admin.display(description="answers (inbound batches and sets)")
    def answers(self, obj: OutboundFile) -> str:
        return journey.answers_html(obj)

    @admin.display(description="inbound batch ids")
    def batch_links(self, obj: OutboundFile) -> str:
        return journey.linked_ids(TransactionBatch, obj.ingestion_ids)

    @admin.display(description="outcome ids")
    def outcome_links(self, obj: OutboundFile) -> str:
        return journey.linked_ids(ProcessingOutcome, obj.outcome_ids)

    def get_search_results(self, request, queryset, search_term):
        """Our ISA13, the inbound ISA13 / file name answered, the file name, sha256, partner."""
        term = (search_term or "").strip()
        if not term:
            return queryset, False
        found = (
            Q(storage_path__icontains=term)
            | Q(partner__code__iexact=term)
            | Q(outcomes__batch__original_name__icontains=term)
        )
        number = int_param(term)
        if number is not None and len(term) <= 9:
            found |= Q(isa13=number) | Q(outcomes__isa13=f"{number:09d}")
        if len(term) >= 6 and all(c in "0123456789abcdef" for c in term.lower()):
            found |= Q(sha256__startswith=term.lower())
        return queryset.filter(found).distinct(), False

    @admin.display(description="outcomes")
    def outcome_count(self, obj: OutboundFile) -> int:
        return len(obj.outcome_ids)

    @admin.display(description="download")
    def download_link(self, obj: OutboundFile) -> str:
        """A PHI field of the classification: shown only with the content permission."""
        if not obj.storage_path:
            return "—"
        url = reverse("admin:outbound_outboundfile_download", args=[obj.pk])
        return format_html("<a href='{}' id='file-download'>Download {}</a>", url, obj.file_name)

    @admin.display(description="links")
    def links(self, obj: OutboundFile) -> str:
        items = []
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
        for batch_id in obj.ingestion_ids:
            items.append(
                (
                    reverse("admin:eventstore_transactionbatch_change", args=[batch_id]),
                    f"Answers inbound batch {batch_id}",
                )
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

    def changelist_view(self, request, extra_context=None):
        can_run = request.user.has_perm("outbound.change_outboundfile")
        return super().changelist_view(request, {**(extra_context or {}), "can_run": can_run})

    def get_urls(self):
        custom = [
            path(
                "<uuid:file_id>/download/",
                guarded_view(
                    self.admin_site,
                    self.download_view,
                    permissions=("outbound.view_outboundfile", VIEW_FILE_CONTENT),
                ),
                name="outbound_outboundfile_download",
            ),
            path(
                "run/<str:what>/",
                guarded_view(
                    self.admin_site,
                    require_POST(self.run_view),
                    permissions=("outbound.view_outboundfile", "outbound.change_outboundfile"),
                ),
                name="outbound_outboundfile_run",
            ),
        ]
        return custom + super().get_urls()

    def download_view(self, request: HttpRequest, file_id) -> FileResponse:
        obj = OutboundFile.objects.filter(pk=file_id).first()
        if obj is None:
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
        """'Run now' buttons: the schedules' services, for the embedded default. The message
        is a success only when the work was done (a publisher without Redis is a warning)."""
        level = messages.SUCCESS
        if what in ("assemble", "assemble-all"):
            result = outbound_assemble(
                ignore_windows=what == "assemble-all", acting_user=request.user
            )
            text = result.summary()
            if result.failed_groups or result.quarantined:
                level = messages.WARNING
        elif what == "publish":
            published = outbox_publish()
            text = published.summary()
            if published.skipped_reason or published.dead or published.retrying:
                level = messages.WARNING
        elif what == "recover":
            text = outbound_recover().summary()
        else:
            raise Http404
        self.message_user(request, text[:1].upper() + text[1:], level)
        return HttpResponseRedirect(reverse("admin:outbound_outboundfile_changelist"))

    @admin.action(
        description="Reprocess quarantined files (new control numbers)", permissions=["change"]
    )
    def reprocess(self, request, queryset):
        if not request.user.has_perm("outbound.change_outboundfile"):
            raise PermissionDenied
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
            qualifies=lambda obj: (
                "" if obj.status == OutboundFileStatus.QUARANTINED else "not quarantined"
            ),
            perform=lambda obj, reason: outbound_reprocess(
                file_id=obj.pk, acting_user=request.user, reason=reason
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
    list_filter = (
        ReprocessedFilter,
        choices_filter("transaction_type", "transaction type", _response_types),
        "partner",
        "created_at",
    )
    change_list_template = None

    def get_queryset(self, request):
        return super().get_queryset(request).filter(status=OutboundFileStatus.QUARANTINED)

    def get_urls(self):
        return admin.ModelAdmin.get_urls(self)

    @admin.display(description="reprocessed", boolean=True)
    def reprocessed(self, obj: OutboundFile) -> bool:
        return obj.reprocessed_as.exists()


@admin.register(ProcessingOutcome)
class ProcessingOutcomeAdmin(RecordAdmin):
    list_display = (
        "id",
        "partner",
        "response_type",
        "status",
        "age_vs_sla",
        "due_at",
        "file_link",
        "batch_link",
    )
    list_filter = (
        "status",
        SlaFilter,
        choices_filter("response_type", "response type", _response_types),
        "partner",
    )
    # owed first (PENDING, FAILED, CLAIMED, then ASSEMBLED), newest due first: the
    # (status, due_at) index read backwards
    ordering = ("-status", "-due_at", "-id")
    search_fields = ("=id",)  # see get_search_results
    search_help_text = (
        "An outcome id, the inbound ISA13 / GS06 it answers, the inbound file name, or a "
        "partner code."
    )
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

    def get_fields(self, request, obj=None):
        return self.get_readonly_fields(request, obj)

    def _slas(self) -> dict[str, int | None]:
        if not hasattr(self, "_sla_cache"):
            self._sla_cache = dict(BatchWindow.objects.values_list("response_type", "sla_minutes"))
        return self._sla_cache

    def changelist_view(self, request, extra_context=None):
        self._sla_cache = dict(BatchWindow.objects.values_list("response_type", "sla_minutes"))
        if request.GET.get("format") == "pending-csv":
            # the list's own permission check runs in super(): check before serving data
            if not self.has_view_or_change_permission(request):
                raise PermissionDenied
            return self._pending_csv()
        extra_context = {**(extra_context or {}), "pending_rows": pending_summary()}
        return super().changelist_view(request, extra_context)

    def _pending_csv(self) -> HttpResponse:
        return csv_response(
            "pending-outcomes.csv",
            ["partner", "response_type", "pending", "oldest_minutes", "sla_minutes", "breached"],
            (
                [
                    row["partner"],
                    row["response_type"],
                    row["count"],
                    row["age_minutes"],
                    row["sla_minutes"],
                    row["breached"],
                ]
                for row in pending_summary()
            ),
        )

    @admin.display(description="age vs SLA")
    def age_vs_sla(self, obj: ProcessingOutcome) -> str:
        end = obj.assembled_at if obj.status == OutcomeStatus.ASSEMBLED else timezone.now()
        return age_against_sla(
            (end or timezone.now()) - obj.created_at, self._slas().get(obj.response_type)
        )

    def get_search_results(self, request, queryset, search_term):
        term = (search_term or "").strip()
        if not term:
            return queryset, False
        found = Q(partner__code__iexact=term) | Q(dedupe_key=term)
        if len(term) >= 3:
            found |= Q(batch__original_name__icontains=term)
        number = int_param(term)
        if number is not None:
            found |= Q(id=number)
            if len(term) <= 9:
                found |= Q(isa13=f"{number:09d}") | Q(gs06=term) | Q(gs06=str(number))
        return queryset.filter(found), False

    @admin.display(description="batch", ordering="batch_id")
    def batch_link(self, obj: ProcessingOutcome) -> str:
        if not obj.batch_id:
            return "—"
        return format_html(
            "<a href='{}'>{}</a>", change_url(TransactionBatch, obj.batch_id), obj.batch_id
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


@admin.register(OutboxMessage)
class OutboxMessageAdmin(RecordAdmin):
    list_display = ("id", "file_link", "status", "attempts", "short_error", "sent_at")
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

    @admin.action(description="Resubmit dead letters", permissions=["change"])
    def resubmit(self, request, queryset):
        if not request.user.has_perm("outbound.change_outboxmessage"):
            raise PermissionDenied
        return _confirm(
            self,
            request,
            queryset,
            action="resubmit",
            title="Resubmit dead letters",
            warning="The messages go back to PENDING with their attempts reset; the publisher "
            "sends them on its next run (a file already in the stream is not added twice).",
            qualifies=lambda obj: "" if obj.status == OutboxStatus.DEAD else "not a dead letter",
            perform=lambda obj, reason: outbox_resubmit(
                message_id=obj.pk, acting_user=request.user, reason=reason
            ),
        )


@admin.register(DeadLetter)
class DeadLetterAdmin(OutboxMessageAdmin):
    list_display = ("id", "file_link", "attempts", "last_error", "created_at")
    list_filter = ("stream",)

    def get_queryset(self, request):
        return super().get_queryset(request).filter(status=OutboxStatus.DEAD)


@admin.register(OperatorAction)
class OperatorActionAdmin(ReadOnlyAdmin):
    """Append-only: operators' reprocess/resubmit actions, read-only for everyone."""

    list_display = ("created_at", "action", "actor", "outbound_file", "reason", "result")
    list_filter = ("action",)
