"""The outbound files addressed to a partner: list, content, receipt."""

from __future__ import annotations

import datetime as dt
import uuid

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from api.errors import BadInput
from api.pagination import NewestFirst
from api.selectors import files_for
from api.serializers import (
    ERROR_RESPONSES,
    ErrorSerializer,
    OutboundFileSerializer,
    ReceiptSerializer,
    cursor_page,
)
from outbound.models import OutboundFile, OutboundFileStatus
from outbound.services.receipts import file_receipt_record
from outbound.services.storage import read_bytes

from .base import ApiView

__all__ = ["FileContentView", "FileListView", "FileReceivedView"]

ERRORS = ERROR_RESPONSES
SENT = (OutboundFileStatus.PERSISTED, OutboundFileStatus.PUBLISHED)


class FileFilters(serializers.Serializer):
    type = serializers.CharField(required=False, max_length=8, help_text="e.g. 999, 271, TA1")
    status = serializers.ChoiceField(choices=OutboundFileStatus.choices, required=False)
    created_from = serializers.DateTimeField(required=False)
    created_to = serializers.DateTimeField(required=False)
    received = serializers.BooleanField(required=False, allow_null=True, default=None)


def _partner_file(view: ApiView, request: Request, file_id: uuid.UUID) -> OutboundFile:
    partner = view.partner(request)
    file = files_for(partner=partner).filter(pk=file_id).first()
    # a partner sees only what was sent to it: not quarantined or unfinished files
    if file is None or (partner is not None and file.status not in SENT):
        raise NotFound("No such file.")
    return file


class FileListView(ApiView):
    partner_allowed = True
    staff_perms = ("outbound.view_outboundfile",)

    @extend_schema(
        operation_id="file_list",
        summary="Outbound files (a partner key: the files sent to it), newest first",
        parameters=[
            FileFilters,
            OpenApiParameter("cursor", str),
            OpenApiParameter("page_size", int),
        ],
        responses={200: cursor_page(OutboundFileSerializer), 400: ErrorSerializer, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        filters = FileFilters(data=request.query_params)
        if not filters.is_valid():
            raise BadInput(f"Invalid filter: {', '.join(sorted(filters.errors))}.")
        f = filters.validated_data
        partner = self.partner(request)
        qs = files_for(
            partner=partner,
            transaction_type=f.get("type", ""),
            status=f.get("status", ""),
            created_from=f.get("created_from"),
            created_to=f.get("created_to"),
            received=f.get("received"),
        )
        if partner is not None:
            qs = qs.filter(status__in=SENT)
        paginator = NewestFirst()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(OutboundFileSerializer(page, many=True).data)


class FileContentView(ApiView):
    partner_allowed = True
    staff_perms = ("outbound.view_outboundfile", "outbound.view_file_content")
    phi_resource = "outbound_file"

    @extend_schema(
        operation_id="file_content",
        summary="The bytes of one outbound file (PHI: every download is recorded)",
        responses={
            (200, "application/edi-x12"): OpenApiResponse(OpenApiTypes.BINARY),
            **ERRORS,
        },
    )
    def get(self, request: Request, file_id: uuid.UUID) -> HttpResponse:
        file = _partner_file(self, request, file_id)
        data = read_bytes(file.storage_path) if file.storage_path else None
        if data is None:
            raise NotFound("The file's stored copy is not available.")
        self.record_phi(request, ids=[file.pk])
        response = HttpResponse(data, content_type="application/edi-x12")
        response["Content-Disposition"] = f'attachment; filename="{file.file_name}"'
        return response


class FileReceivedView(ApiView):
    partner_allowed = True
    staff_perms = None  # a receipt is the partner's word

    @extend_schema(
        operation_id="file_received",
        summary="Acknowledge receipt of a file (operators see delivery)",
        request=None,
        responses={200: ReceiptSerializer, **ERRORS},
    )
    def post(self, request: Request, file_id: uuid.UUID) -> Response:
        file = _partner_file(self, request, file_id)
        partner = self.partner(request)
        file, created = file_receipt_record(
            file_id=file.pk, partner=partner, received_by=f"api key {request.auth.prefix}"
        )
        return Response(
            ReceiptSerializer(
                {
                    "id": file.pk,
                    "received_at": file.received_at or dt.datetime.now(dt.UTC),
                    "first_receipt": created,
                }
            ).data
        )
