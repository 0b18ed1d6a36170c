"""The journey of a file, both ways, on the admin pages.

* Every inbound batch page lists what we owe and sent for it (through inbound's
  batch-panel registry): each acknowledgment and response — TA1, 999, 271, and whatever a
  new responder stages (277CA, 835…), read from the outcomes, never from a list of types —
  with its status, due time against the SLA, the file it went out in and that file's
  delivery (outbox) state.
* Every outbound file page links back to the inbound batches and the sets it answers
  (:func:`file_answers`), and its outcome ids and batch ids are links.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from edi_platform.core.adminkit import change_url, changelist_url
from eventstore.inbound.admin import register_batch_panel
from eventstore.models import TransactionBatch, TransactionHeader

from .eligibility.selectors import batch_inquiry_summary
from .models import (
    BatchWindow,
    OutboundFile,
    OutboxMessage,
    OutcomeStatus,
    ProcessingOutcome,
)
from .phi import VIEW_FILE_CONTENT
from .selectors import age_against_sla

__all__ = ["batch_responses_panel", "file_answers", "linked_ids"]


@dataclass(frozen=True)
class Answered:
    """One inbound batch a file answers, and the sets of it (ST02s per GS06)."""

    batch_id: int
    file_name: str
    isa13s: list[str]
    groups: list[tuple[str, list[str]]]  # (GS06, ST02s)


def file_answers(file: OutboundFile) -> list[Answered]:
    """The inbound batches and sets answered by ``file`` (from its outcomes, in order)."""
    rows = (
        ProcessingOutcome.objects.filter(outbound_file=file)
        .values_list("batch_id", "isa13", "gs06", "st02s")
        .order_by("id")
    )
    per_batch: dict[int, dict[str, Any]] = {}
    for batch_id, isa13, gs06, st02s in rows:
        if batch_id is None:
            continue
        entry = per_batch.setdefault(batch_id, {"isa13s": [], "groups": {}})
        if isa13 and isa13 not in entry["isa13s"]:
            entry["isa13s"].append(isa13)
        if gs06:
            entry["groups"].setdefault(gs06, []).extend(st02s or [])
    names = dict(
        TransactionBatch.objects.filter(pk__in=per_batch).values_list("id", "original_name")
    )
    return [
        Answered(
            batch_id=batch_id,
            file_name=names.get(batch_id, "?"),
            isa13s=entry["isa13s"],
            groups=list(entry["groups"].items()),
        )
        for batch_id, entry in per_batch.items()
    ]


def answers_html(file: OutboundFile) -> str:
    """The answered batches and sets as links (the outbound file page)."""
    items = []
    for a in file_answers(file):
        sets = "; ".join(
            f"GS06 {gs06}: ST02 {', '.join(st02s) if st02s else '—'}" for gs06, st02s in a.groups
        )
        items.append(
            (
                change_url(TransactionBatch, a.batch_id),
                f"batch {a.batch_id} ({a.file_name})",
                changelist_url(TransactionHeader, batch__id__exact=a.batch_id),
                f"ISA13 {', '.join(a.isa13s) or '?'}" + (f" — {sets}" if sets else ""),
            )
        )
    if not items:
        return "—"
    return format_html(
        "<ul class='file-answers'>{}</ul>",
        format_html_join("", "<li><a href='{}'>{}</a>: <a href='{}'>{}</a></li>", items),
    )


def linked_ids(model: Any, ids: list[Any]) -> str:
    """Ids as links to their admin pages (outcome ids, batch ids on a file page)."""
    if not ids:
        return "—"
    return format_html_join(", ", "<a href='{}'>{}</a>", ((change_url(model, i), i) for i in ids))


def batch_responses_panel(request: HttpRequest, batch: Any) -> str | None:
    """What the batch is owed and was sent (every response type), each with its file and
    that file's delivery state."""
    if not request.user.has_perm("outbound.view_processingoutcome"):
        return None
    outcomes = list(
        ProcessingOutcome.objects.filter(batch_id=batch.pk)
        .select_related("outbound_file")
        .defer("payload")
        .order_by("id")
    )
    files = {o.outbound_file_id for o in outcomes if o.outbound_file_id}
    delivery = {
        m.outbound_file_id: m
        for m in OutboxMessage.objects.filter(outbound_file_id__in=files).only(
            "outbound_file_id", "status", "sent_at", "attempts"
        )
    }
    slas = dict(BatchWindow.objects.values_list("response_type", "sla_minutes"))
    now = timezone.now()
    rows = []
    for o in outcomes:
        end = o.assembled_at if o.status == OutcomeStatus.ASSEMBLED else now
        rows.append(
            {
                "outcome": o,
                "outcome_url": change_url(ProcessingOutcome, o.pk),
                "age": age_against_sla((end or now) - o.created_at, slas.get(o.response_type)),
                "file_url": change_url(OutboundFile, o.outbound_file_id)
                if o.outbound_file_id
                else "",
                "download_url": reverse(
                    "admin:outbound_outboundfile_download", args=[o.outbound_file_id]
                )
                if o.outbound_file_id and request.user.has_perm(VIEW_FILE_CONTENT)
                else "",
                "delivery": delivery.get(o.outbound_file_id),
            }
        )
    inquiries = batch_inquiry_summary(batch.pk)
    return render_to_string(
        "admin/outbound/_batch_responses.html",
        {"rows": rows, "inquiries": inquiries if any(inquiries.values()) else None},
        request=request,
    )


register_batch_panel("outbound", batch_responses_panel)
