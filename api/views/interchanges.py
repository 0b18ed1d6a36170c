"""``POST /api/v1/interchanges`` (submit an X12 file) and ``GET /api/v1/interchanges/{id}``."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.parsers import BaseParser
from rest_framework.request import Request
from rest_framework.response import Response

from api.errors import BadInput
from api.selectors import batch_for, batch_responses, batch_sets
from api.serializers import (
    ERROR_RESPONSES,
    ErrorSerializer,
    IngestResultSerializer,
    InterchangeSerializer,
)
from edi_platform.partners.selectors import partner_by_sender
from edi_platform.x12.peek import PEEK_BYTES, peek_isa
from eventstore.inbound.models import BatchChannel
from eventstore.inbound.services.ingest import ingest_bytes

from .base import ApiView, read_body

__all__ = ["InterchangeDetailView", "InterchangeSubmitView", "RawParser", "sender_check"]

ERRORS = ERROR_RESPONSES


class RawParser(BaseParser):
    """Declares the raw media types (the view reads the body itself, capped)."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):  # pragma: no cover
        return None


def sender_check(*, data: bytes, partner) -> None:
    """Refuse bytes that are not an X12 interchange, or (for a partner key) whose ISA
    sender is not the key's partner — before anything is stored."""
    head = peek_isa(data[:PEEK_BYTES])
    if head is None:
        raise BadInput("The body is not an X12 interchange (no usable ISA segment).")
    if partner is None:
        return
    sender = partner_by_sender(qualifier=head.sender_qualifier, sender_id=head.sender_id)
    if sender is None or sender.pk != partner.pk:
        raise PermissionDenied("The interchange's sender (ISA05/ISA06) is not this key's partner.")


class InterchangeSubmitView(ApiView):
    partner_allowed = True
    staff_perms = ("eventstore.add_transactionbatch",)
    parser_classes = [RawParser]

    @extend_schema(
        operation_id="interchange_submit",
        summary="Submit one X12 file (raw body)",
        description="The bytes are ingested like an upload: the answer names the batch and "
        "its verdict. The same bytes again answer the same batch (`already_received`).",
        request={"text/plain": OpenApiTypes.STR, "application/edi-x12": OpenApiTypes.BINARY},
        parameters=[OpenApiParameter("name", str, description="The file's name (optional).")],
        responses={201: IngestResultSerializer, 200: IngestResultSerializer, **ERRORS},
        examples=[OpenApiExample("270", value="ISA*00*...~", request_only=True)],
    )
    def post(self, request: Request) -> Response:
        data = read_body(request)
        partner = self.partner(request)
        sender_check(data=data, partner=partner)
        name = (request.query_params.get("name") or "api-submission.x12")[:200]
        result = ingest_bytes(data=data, original_name=name, channel=BatchChannel.API)
        body = {
            **result.to_dict(),
            "url": f"/api/v1/interchanges/{result.batch}" if result.batch else "",
        }
        body.pop("file", None)
        code = status.HTTP_200_OK if result.already_received else status.HTTP_201_CREATED
        return Response(IngestResultSerializer(body).data, status=code)


class InterchangeDetailView(ApiView):
    partner_allowed = True
    staff_perms = ("eventstore.view_transactionbatch",)

    @extend_schema(
        operation_id="interchange_detail",
        summary="A submitted file: status, sets, errors, acknowledgments owed and sent",
        responses={200: InterchangeSerializer, 404: ErrorSerializer, **ERRORS},
    )
    def get(self, request: Request, batch_id: int) -> Response:
        batch = batch_for(batch_id=batch_id, partner=self.partner(request))
        if batch is None:
            raise NotFound("No such interchange.")
        body = {
            "id": batch.pk,
            "original_name": batch.original_name,
            "partner": batch.partner.code if batch.partner_id else "",
            "received_at": batch.received_at,
            "channel": batch.channel,
            "isa13": batch.isa13,
            "status": batch.status,
            "reason": batch.status_reason,
            "sets_accepted": batch.sets_accepted,
            "sets_rejected": batch.sets_rejected,
            "sets": batch_sets(batch=batch),
            "responses": batch_responses(batch=batch),
        }
        return Response(InterchangeSerializer(body).data)
