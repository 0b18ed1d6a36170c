"""Admin of inbound: received batches, their sets, upload, reprocess, the raw file.

Other rooms add actions to the batch list through :func:`register_batch_action` (the ledger
adds "Reverse batch"), sections to a batch's page through :func:`register_batch_panel`
(outbound: the acknowledgments and responses of the batch; the ledger: its reversal) and
notes to the status column through :func:`register_batch_note` (the ledger: "reversed by
batch N"), so this module never imports them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from edi_platform.core.adminkit import (
    ConfirmRow,
    EstimatedCountPaginator,
    ReadOnlyAdmin,
    RecordAdmin,
    choices_filter,
    confirm_action,
    guarded_view,
)
from edi_platform.core.params import int_param
from edi_platform.x12.codes import FUNCTIONAL_GROUPS
from edi_platform.x12.logsafe import exception_summary
from eventstore.inbound.models import (
    BatchChannel,
    BatchStatus,
    RoutingStatus,
    TransactionBatch,
    TransactionHeader,
)
from eventstore.inbound.selectors import (
    ACCEPTED_STATUSES,
    batch_transaction_types,
    batch_tree,
    batches_with_type,
    functional_ids_for,
)
from eventstore.inbound.services.ingest import ingest_upload
from eventstore.inbound.services.reprocess import (
    ReprocessRefused,
    batch_reprocess,
    reprocess_refusal,
)
from eventstore.inbound.storage import raw_open, safe_file_name

logger = logging.getLogger(__name__)

RAW_FILE_PERMISSION = "eventstore.view_raw_file"
_STATUS_COLOURS = {
    BatchStatus.ACCEPTED: "#2e7d32",
    BatchStatus.PARTIALLY_ACCEPTED: "#ef6c00",
    BatchStatus.REJECTED: "#c62828",
    BatchStatus.DUPLICATE: "#6a1b9a",
    BatchStatus.UNKNOWN_PARTNER: "#1565c0",
    BatchStatus.RECEIVED: "#616161",
    BatchStatus.FAILED: "#b71c1c",
}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """A file field that accepts several files (returns a list)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        # empty files are registered (and rejected with a reason), not refused by the form
        kwargs.setdefault("allow_empty_file", True)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        clean_one = super().clean
        if isinstance(data, list | tuple):
            return [clean_one(item, initial) for item in data]
        return [clean_one(data, initial)]


# Actions other rooms add to the batch list: name -> (action, permission needed).
_batch_actions: dict[str, tuple[Callable[..., Any], str]] = {}


def register_batch_action(action: Callable[..., Any], *, permission: str) -> None:
    """Offer ``action`` (an admin action function) on the batch list to users holding
    ``permission``; the action checks it again itself."""
    _batch_actions[action.__name__] = (action, permission)


# Sections other rooms add to a batch's page (outbound: the responses it owes and sent).
Panel = Callable[[HttpRequest, TransactionBatch], str | None]
_batch_panels: dict[str, tuple[Panel, str]] = {}


def register_batch_panel(name: str, panel: Panel, *, position: str = "bottom") -> None:
    """Show ``panel(request, batch)`` (safe HTML, or None for nothing) on every batch page:
    after the set tree (``position="bottom"``) or above the fields (``"top"``). The panel
    checks the permissions its content needs."""
    if position not in ("top", "bottom"):
        raise ValueError("position is top or bottom")
    _batch_panels[name] = (panel, position)


# Notes other rooms add to the status column of the batch list (the ledger: "reversed by
# batch N"): ``annotate(queryset)`` adds what ``note(batch)`` reads, for the page's rows only.
_batch_notes: dict[str, tuple[Callable[[QuerySet], QuerySet], Callable[[Any], str]]] = {}


def register_batch_note(
    name: str, *, annotate: Callable[[QuerySet], QuerySet], note: Callable[[Any], str]
) -> None:
    _batch_notes[name] = (annotate, note)


class BatchOutcomeFilter(admin.SimpleListFilter):
    """Received files (not the platform's system batches), by how they ended."""

    title = "received files"
    parameter_name = "outcome"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("files", "All received files"),
            ("accepted", "Accepted (fully or partially)"),
            ("rejected", "Rejected or duplicate"),
            ("open", "Not finished or needing an operator"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value not in ("files", "accepted", "rejected", "open"):
            return queryset
        files = queryset.exclude(channel=BatchChannel.SYSTEM)
        if value == "accepted":
            return files.filter(status__in=ACCEPTED_STATUSES)
        if value == "rejected":
            return files.filter(status__in=[BatchStatus.REJECTED, BatchStatus.DUPLICATE])
        if value == "open":
            return files.filter(
                status__in=[BatchStatus.RECEIVED, BatchStatus.FAILED, BatchStatus.UNKNOWN_PARTNER]
            )
        return files


class BatchTypeFilter(admin.SimpleListFilter):
    """The transaction type of a file: what its first functional group (GS01) carries."""

    title = "transaction type"
    parameter_name = "type"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(t, t) for t in batch_transaction_types()]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        codes = functional_ids_for(self.value() or "")
        if not codes:
            return queryset
        return batches_with_type(queryset).filter(first_gs01__in=codes)


class UsageFilter(admin.SimpleListFilter):
    title = "usage (ISA15)"
    parameter_name = "usage_indicator__exact"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("P", "P production"), ("T", "T test"), ("I", "I information")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(usage_indicator=self.value()) if self.value() else queryset


class UploadForm(forms.Form):
    files = MultipleFileField(
        label="X12 files", help_text="Select one or more files; each is registered once."
    )


@admin.register(TransactionBatch)
class TransactionBatchAdmin(RecordAdmin):
    list_display = (
        "id",
        "original_name",
        "partner",
        "status_badge",
        "isa13",
        "sets_summary",
        "received_at",
    )
    list_display_links = ("id", "original_name")
    list_filter = (
        BatchOutcomeFilter,
        "status",
        BatchTypeFilter,
        "channel",
        "partner",
        UsageFilter,
        "received_at",
    )
    search_fields = ("=isa13", "original_name", "^sha256")
    search_help_text = "ISA13 (leading zeros optional), file name, or the start of the sha256."
    show_full_result_count = False  # one COUNT per page, not two
    list_select_related = ("partner",)
    actions = ["reprocess_selected"]  # and the registered ones (see get_actions)
    change_form_template = "admin/eventstore/transactionbatch/change_form.html"
    change_list_template = "admin/eventstore/transactionbatch/change_list.html"
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "original_name",
                    "partner",
                    "status",
                    "status_reason",
                    "duplicate_of",
                    "received_at",
                    "channel",
                )
            },
        ),
        (
            "Envelope",
            {
                "fields": (
                    ("sender_qualifier", "sender_id"),
                    ("receiver_qualifier", "receiver_id"),
                    "isa13",
                    ("isa09", "isa10"),
                    "usage_indicator",
                )
            },
        ),
        (
            "Counts",
            {
                "fields": (
                    ("groups_accepted", "groups_rejected"),
                    ("sets_accepted", "sets_rejected"),
                    "segment_count",
                    "processing_ms",
                    "processed_at",
                )
            },
        ),
        ("File", {"fields": ("sha256", "size", "storage_path")}),
        (
            "Reprocessing",
            {"fields": ("reprocess_count", "last_reprocessed_at", "last_reprocessed_by")},
        ),
    )

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[TransactionBatch], search_term: str
    ) -> tuple[QuerySet[TransactionBatch], bool]:
        """Also find ISA13 typed without its leading zeros ("101" -> 000000101)."""
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        number = int_param(search_term)
        if number is not None and len(search_term.strip()) < 9:
            results = results | queryset.filter(isa13=search_term.strip().zfill(9))
        return results, may_have_duplicates

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        for name, (action, permission) in _batch_actions.items():
            if request.user.has_perm(permission):
                actions[name] = (action, name, action.short_description)
        return actions

    # -- read-only registry ------------------------------------------------------------------
    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        names = [f.name for f in self.model._meta.fields if f.name not in ("id", "report")]
        return names

    def get_urls(self) -> list[Any]:
        site = self.admin_site
        return [
            path(
                "upload/",
                guarded_view(
                    site, self.upload_view, permissions=("eventstore.add_transactionbatch",)
                ),
                name="eventstore_transactionbatch_upload",
            ),
            path(
                "<int:batch_id>/raw/",
                guarded_view(site, self.raw_file_view, permissions=(RAW_FILE_PERMISSION,)),
                name="eventstore_transactionbatch_raw",
            ),
            *super().get_urls(),
        ]

    # -- list columns ------------------------------------------------------------------------
    @admin.display(description="status", ordering="status")
    def status_badge(self, obj: TransactionBatch) -> str:
        notes = [text for _, note in _batch_notes.values() if (text := note(obj))]
        return format_html(
            '<strong style="color:{}">{}</strong>{}',
            _STATUS_COLOURS.get(obj.status, "inherit"),
            obj.get_status_display(),
            format_html_join("", "<br><em class='batch-note'>{}</em>", ((n,) for n in notes)),
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet[TransactionBatch]:
        queryset = super().get_queryset(request)
        for annotate, _ in _batch_notes.values():
            queryset = annotate(queryset)
        return queryset

    @admin.display(description="groups (acc./rej.)")
    def groups_summary(self, obj: TransactionBatch) -> str:
        return f"{obj.groups_accepted} / {obj.groups_rejected}"

    @admin.display(description="sets (acc./rej.)")
    def sets_summary(self, obj: TransactionBatch) -> str:
        return f"{obj.sets_accepted} / {obj.sets_rejected}"

    # -- detail page -------------------------------------------------------------------------
    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        context = dict(extra_context or {})
        batch = self.get_object(request, object_id)
        if batch is not None:
            context["tree"] = batch_tree(batch=batch)
            context["headers_url"] = (
                reverse("admin:eventstore_transactionheader_changelist")
                + f"?batch__id__exact={batch.pk}"
            )
            context["reprocess_refusal"] = reprocess_refusal(batch)
            context["has_file"] = bool(batch.storage_path)
            context["is_system"] = batch.channel == BatchChannel.SYSTEM
            context["can_download_raw"] = request.user.has_perm(RAW_FILE_PERMISSION)
            context["raw_url"] = reverse("admin:eventstore_transactionbatch_raw", args=[batch.pk])
            for where in ("top", "bottom"):
                context[f"panels_{where}"] = [
                    html
                    for panel, position in _batch_panels.values()
                    if position == where and (html := panel(request, batch))
                ]
        context["title"] = f"Batch {object_id}"
        # no Save / Delete buttons: RecordAdmin's page
        return super().change_view(request, object_id, form_url, context)

    def raw_file_view(self, request: HttpRequest, batch_id: int) -> FileResponse:
        """The raw received bytes; only with ``eventstore.view_raw_file`` (files carry PHI)."""
        if not request.user.has_perm(RAW_FILE_PERMISSION):
            raise PermissionDenied
        batch = get_object_or_404(TransactionBatch, pk=batch_id)
        if not batch.storage_path:  # a system batch (e.g. a reversal) has no file
            raise Http404("This batch has no stored file.")
        return FileResponse(
            raw_open(batch.storage_path),
            as_attachment=True,
            filename=safe_file_name(batch.original_name),
            content_type="application/octet-stream",
        )

    # -- upload ------------------------------------------------------------------------------
    def upload_view(self, request: HttpRequest) -> HttpResponse:
        """Several files at once through the one ingest service (channel "upload")."""
        if not request.user.has_perm("eventstore.add_transactionbatch"):
            raise PermissionDenied
        form = UploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            for upload in form.cleaned_data["files"]:
                try:
                    result = ingest_upload(upload=upload)
                except Exception as exc:  # storage or database down: nothing was registered
                    logger.error(
                        "upload of a file failed before registration: %s", exception_summary(exc)
                    )
                    self.message_user(
                        request,
                        f"{upload.name}: not registered ({type(exc).__name__}); try again later.",
                        messages.ERROR,
                    )
                    continue
                level = messages.SUCCESS if result.ok else messages.WARNING
                self.message_user(request, f"{upload.name}: {result.message}", level)
            return HttpResponseRedirect(reverse("admin:eventstore_transactionbatch_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "form": form,
            "title": "Upload inbound files",
        }
        return TemplateResponse(request, "admin/eventstore/transactionbatch/upload.html", context)

    # -- reprocess (confirmation page, then action) ------------------------------------------
    @admin.action(description="Reprocess selected batches", permissions=["change"])
    def reprocess_selected(
        self, request: HttpRequest, queryset: QuerySet[TransactionBatch]
    ) -> HttpResponse | None:
        batches = list(queryset.select_related("partner").order_by("id"))
        rows = [
            ConfirmRow(
                pk=b.pk,
                cells=[b.pk, b.original_name, b.partner or "—", b.get_status_display()],
                blocker=reprocess_refusal(b) or "",
            )
            for b in batches
        ]

        def perform(data: Mapping[str, Any], eligible: list[ConfirmRow]) -> None:
            for row in eligible:
                try:
                    result = batch_reprocess(batch_id=row.pk, acting_user=request.user)
                except ReprocessRefused as exc:
                    self.message_user(request, str(exc), messages.WARNING)
                    continue
                self.message_user(request, f"Batch {row.pk}: {result.message}", messages.SUCCESS)

        return confirm_action(
            self,
            request,
            action="reprocess_selected",
            title="Reprocess batches?",
            intro=(
                "Reprocessing reads each batch's stored raw file again. Unknown-partner and "
                "interrupted batches are validated and answered (acknowledgments already owed "
                "are not staged twice); accepted batches retry the routing of their failed "
                "sets. Rejected and duplicate batches are final."
            ),
            columns=["Batch", "File", "Partner", "Status"],
            rows=rows,
            perform=perform,
            submit_label="Yes, reprocess",
            form_class=None,
        )


def _set_types() -> list[tuple[str, str]]:
    return [(t, t) for t in sorted({st for sets in FUNCTIONAL_GROUPS.values() for st in sets})]


def _functional_ids() -> list[tuple[str, str]]:
    return [(g, g) for g in sorted(FUNCTIONAL_GROUPS)]


@admin.register(TransactionHeader)
class TransactionHeaderAdmin(ReadOnlyAdmin):
    """Every transaction set received, with its verdict and routing result."""

    list_display = (
        "id",
        "batch_link",
        "isa13",
        "gs06",
        "st01",
        "st02",
        "verdict",
        "routing_badge",
        "routing_result",
    )
    list_filter = (
        "routing_status",
        "verdict",
        choices_filter("st01", "ST01", _set_types),
        choices_filter("gs01", "GS01", _functional_ids),
    )
    search_fields = ("=st02", "=isa13", "=gs06")
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    search_help_text = "ST02, ISA13 or GS06 (exact)."
    list_select_related = ("batch",)
    readonly_fields = [
        "batch",
        "isa13",
        "gs01",
        "gs06",
        "gs08",
        "st01",
        "st02",
        "st03",
        "segment_count",
        "start_offset",
        "first_line",
        "verdict",
        "errors",
        "routing_status",
        "routing_result",
        "created_at",
    ]
    fields = readonly_fields

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest | None = None) -> bool:
        return lookup == "batch__id__exact" or super().lookup_allowed(lookup, value, request)

    @admin.display(description="batch", ordering="batch_id")
    def batch_link(self, obj: TransactionHeader) -> str:
        url = reverse("admin:eventstore_transactionbatch_change", args=[obj.batch_id])
        return format_html('<a href="{}">{}</a>', url, obj.batch_id)

    @admin.display(description="routing", ordering="routing_status")
    def routing_badge(self, obj: TransactionHeader) -> str:
        colour = {
            RoutingStatus.ROUTED: "#2e7d32",
            RoutingStatus.NO_HANDLER: "#ef6c00",
            RoutingStatus.FAILED: "#c62828",
        }.get(obj.routing_status, "inherit")
        return format_html(
            '<span style="color:{}">{}</span>', colour, obj.get_routing_status_display()
        )

    @admin.display(description="errors")
    def errors(self, obj: TransactionHeader) -> str:
        return render_to_string(
            "admin/eventstore/transactionbatch/_set_errors.html", {"errors": obj.error_summary}
        )
