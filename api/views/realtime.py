"""CAQH CORE real-time: ``POST /api/v1/realtime/eligibility`` (270 → 271) and
``/realtime/claim-status`` (276 → 277). The envelope is read here; the exchange itself is
THE outbound service (:func:`outbound.services.realtime.realtime_exchange`): the inquiry is
ingested and answered like any file. Which response answers it is the responder registry's
business: a 276 is answered by whatever responder registers for ST01 276 (none: its
999/TA1, with a ``NotImplemented`` CORE error and HTTP 501)."""

from __future__ import annotations

from django.http import HttpResponse, JsonResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import APIException
from rest_framework.parsers import BaseParser
from rest_framework.request import Request

from api.realtime.codes import (
    METADATA_FIELDS,
    NOT_IMPLEMENTED,
    RECEIVER_UNABLE_TO_PROCESS,
    SUCCESS,
    UNAUTHORIZED,
    illegal,
)
from api.realtime.envelope import RAW, CoreRequest, EnvelopeError, envelope_parse, envelope_render
from api.serializers import ERROR_RESPONSES
from outbound.services.realtime import realtime_exchange

from .base import ApiView, read_body
from .interchanges import sender_check

__all__ = ["ClaimStatusRealtimeView", "EligibilityRealtimeView"]


class _AnyParser(BaseParser):
    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):  # pragma: no cover
        return None


_CORE_FIELDS = {
    "type": "object",
    "properties": {name: {"type": "string"} for name in METADATA_FIELDS},
}


def _schema(operation_id: str, summary: str):
    return extend_schema(
        operation_id=operation_id,
        summary=summary,
        description="Body: raw X12 (`application/edi-x12` or `text/plain`), a CORE SOAP "
        "envelope (`application/soap+xml`, or SOAP 1.1 `text/xml`) or CORE MIME multipart "
        "(`multipart/form-data`). "
        "The answer comes in the same style; envelope problems carry the CORE ErrorCode "
        "(PayloadTypeRequired, ProcessingModeIllegal, VersionMismatch...).",
        request={
            "text/plain": OpenApiTypes.STR,
            "application/edi-x12": OpenApiTypes.BINARY,
            "application/soap+xml": OpenApiTypes.STR,
            "text/xml": OpenApiTypes.STR,
            "multipart/form-data": _CORE_FIELDS,
        },
        responses={
            (200, "application/edi-x12"): OpenApiResponse(OpenApiTypes.BINARY),
            (200, "application/soap+xml"): OpenApiResponse(OpenApiTypes.STR),
            (200, "text/xml"): OpenApiResponse(OpenApiTypes.STR),
            (400, "text/xml"): OpenApiResponse(OpenApiTypes.STR),
            (200, "multipart/form-data"): OpenApiResponse(OpenApiTypes.STR),
            **ERROR_RESPONSES,
            (400, "application/soap+xml"): OpenApiResponse(OpenApiTypes.STR),
            (400, "multipart/form-data"): OpenApiResponse(OpenApiTypes.STR),
            (403, "application/soap+xml"): OpenApiResponse(OpenApiTypes.STR),
            (403, "multipart/form-data"): OpenApiResponse(OpenApiTypes.STR),
            503: OpenApiResponse(OpenApiTypes.STR),
            501: OpenApiResponse(OpenApiTypes.STR),
        },
    )


class _RealtimeView(ApiView):
    partner_allowed = True
    staff_perms = None  # the sender of an inquiry is a partner
    parser_classes = [_AnyParser]
    phi_resource = "realtime_answer"
    inquiry_st01 = ""
    payload_type = ""

    def _exchange(self, request: Request) -> HttpResponse:
        content_type = request.content_type or ""
        core: CoreRequest | None = None
        try:
            core = envelope_parse(
                content_type=content_type,
                body=None if content_type.startswith("multipart/") else read_body(request),
                form=_form(request) if content_type.startswith("multipart/") else None,
                expected=self.payload_type,
            )
        except EnvelopeError as exc:
            return self._answer(None, exc.style, None, "", exc.code, exc.message, exc.status)
        try:
            sender_check(data=core.payload, partner=self.partner(request))
        except APIException as exc:
            if core.style == RAW:
                raise
            code = UNAUTHORIZED if exc.status_code == 403 else illegal("Payload")
            return self._answer(core, core.style, None, "", code, str(exc.detail), exc.status_code)
        answer = realtime_exchange(
            data=core.payload,
            inquiry_st01=self.inquiry_st01,
            original_name=f"realtime-{self.inquiry_st01}.x12",
        )
        if answer.data is None:
            return self._answer(
                core,
                core.style,
                None,
                "",
                RECEIVER_UNABLE_TO_PROCESS,
                "No answer could be produced for this inquiry; see the interchange "
                f"{answer.batch_id} for why.",
                503,
            )
        self.record_phi(request, ids=[answer.file_id, f"batch:{answer.batch_id}"])
        if answer.responder_missing:
            return self._answer(
                core,
                core.style,
                answer.data,
                answer.response_type,
                NOT_IMPLEMENTED,
                f"Real-time {self.inquiry_st01} inquiries are not answered here yet; the "
                "acknowledgment is enclosed.",
                501,
            )
        code = SUCCESS
        message = "" if answer.answered else "The inquiry was rejected: see the acknowledgment."
        return self._answer(core, core.style, answer.data, answer.response_type, code, message, 200)

    def _answer(
        self,
        core: CoreRequest | None,
        style: str,
        payload: bytes | None,
        transaction_type: str,
        code: str,
        message: str,
        status: int,
    ) -> HttpResponse:
        if style == RAW and payload is None:
            return JsonResponse({"detail": message, "code": code}, status=status)
        body, content_type = envelope_render(
            request=core,
            style=style,
            payload=payload,
            transaction_type=transaction_type,
            error_code=code,
            error_message=message,
        )
        response = HttpResponse(body, content_type=content_type, status=status)
        response["X-CORE-Error-Code"] = code
        return response


def _form(request: Request) -> dict[str, object]:
    django_request = request._request
    form: dict[str, object] = {k: django_request.POST.get(k) for k in django_request.POST}
    for name, upload in django_request.FILES.items():
        form[name] = upload.read()
    return form


class EligibilityRealtimeView(_RealtimeView):
    inquiry_st01 = "270"
    payload_type = "X12_270_Request_005010X279A1"

    @_schema("realtime_eligibility", "Real-time 270 → 271 (CAQH CORE connectivity)")
    def post(self, request: Request) -> HttpResponse:
        return self._exchange(request)


class ClaimStatusRealtimeView(_RealtimeView):
    inquiry_st01 = "276"
    payload_type = "X12_276_Request_005010X212"

    @_schema("realtime_claim_status", "Real-time 276 → 277 (CAQH CORE connectivity)")
    def post(self, request: Request) -> HttpResponse:
        return self._exchange(request)
