"""``POST /api/v1/interchanges`` (submit an X12 file) and ``GET /api/v1/interchanges/{id}``."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
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
from eventstore.inbound.models import BatchChannel, BatchStatus
from eventstore.inbound.services.ingest import ingest_bytes, ingest_register

from .base import ApiView, spooled_body

__all__ = ["InterchangeDetailView", "InterchangeSubmitView", "RawParser", "sender_check"]

ERRORS = ERROR_RESPONSES
API = BatchChannel.API
PROCESSING = "PROCESSING"  # not a batch status: the API's name for "RECEIVED and leased"


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
        description="The bytes are ingested like an upload. Up to `API_SYNC_MAX_BYTES` the "
        "file is processed before the answer (201 with its verdict); a larger one (up to "
        "`API_MAX_BODY_BYTES`, else 413) is stored and answered at once with 202 Accepted, "
        "the batch id and a `Location` to poll (`GET /api/v1/interchanges/{id}`: RECEIVED, "
        "PROCESSING, then the verdict). The same bytes again answer the same batch "
        "(`already_received`): 200 when it is finished, 202 while it is processed.",
        request={"text/plain": OpenApiTypes.STR, "application/edi-x12": OpenApiTypes.BINARY},
        parameters=[
            OpenApiParameter("name", str, description="The file's name (optional)."),
            OpenApiParameter(
                "Location",
                str,
                OpenApiParameter.HEADER,
                response=[202],
                description="The interchange to poll (`/api/v1/interchanges/{id}`).",
            ),
        ],
        responses={
            201: IngestResultSerializer,
            200: IngestResultSerializer,
            202: OpenApiResponse(
                IngestResultSerializer,
                description="Stored and queued (status RECEIVED): poll the `Location`.",
            ),
            **ERRORS,
        },
        examples=[OpenApiExample("270", value="ISA*00*...~", request_only=True)],
    )
    def post(self, request: Request) -> Response:
        partner = self.partner(request)
        name = (request.query_params.get("name") or "api-submission.x12")[:200]
        with spooled_body(request, keep=int(settings.API_SYNC_MAX_BYTES)) as body:
            sender_check(data=body.head, partner=partner)
            if body.path is None:  # small: processed now, the verdict in the answer
                result = ingest_bytes(data=body.data or b"", original_name=name, channel=API)
            else:  # large: stored and registered now, processed by the queued task
                result = ingest_register(opener=body.open, original_name=name, channel=API)
        url = (
            reverse("api-v1:interchange", kwargs={"batch_id": result.batch}) if result.batch else ""
        )
        data = {**result.to_dict(), "url": url}
        data.pop("file", None)
        if result.status == BatchStatus.RECEIVED:
            response = Response(IngestResultSerializer(data).data, status=status.HTTP_202_ACCEPTED)
            response["Location"] = url
            return response
        code = status.HTTP_200_OK if result.already_received else status.HTTP_201_CREATED
        return Response(IngestResultSerializer(data).data, status=code)


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
            "status": _status(batch),
            "reason": batch.status_reason,
            "sets_accepted": batch.sets_accepted,
            "sets_rejected": batch.sets_rejected,
            "sets": batch_sets(batch=batch),
            "responses": batch_responses(batch=batch),
        }
        return Response(InterchangeSerializer(body).data)


def _status(batch) -> str:
    """The batch's status; a RECEIVED batch that a live worker holds is PROCESSING (the
    lease says so: see :mod:`eventstore.inbound.services.lease`)."""
    leased = batch.lease_expires_at is not None and batch.lease_expires_at > timezone.now()
    return PROCESSING if batch.status == BatchStatus.RECEIVED and leased else batch.status
