"""Claims from the claim registry and their journey (received → 999 → 277CA → later
responses). A partner key sees the claims it submitted. PHI: access records."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from api.errors import BadInput
from api.pagination import ById
from api.selectors import claims_for
from api.serializers import (
    ERROR_RESPONSES,
    ClaimDetailSerializer,
    ClaimSerializer,
    ErrorSerializer,
    cursor_page,
)
from outbound.claims.selectors import claim_journey

from .base import ApiView

__all__ = ["ClaimDetailView", "ClaimListView"]

PERMS = ("outbound.view_claim", "eventstore.view_member")
ERRORS = ERROR_RESPONSES


class ClaimParams(serializers.Serializer):
    patient_control_number = serializers.CharField(required=False, max_length=38)
    subscriber_id = serializers.CharField(required=False, max_length=80)
    status = serializers.CharField(required=False, max_length=12)
    batch = serializers.IntegerField(required=False, min_value=1, max_value=2**62)


class ClaimListView(ApiView):
    partner_allowed = True
    staff_perms = PERMS
    phi_resource = "claim"

    @extend_schema(
        operation_id="claim_list",
        summary="Claims (a partner key: those it submitted), by id",
        parameters=[
            ClaimParams,
            OpenApiParameter("cursor", str),
            OpenApiParameter("page_size", int),
        ],
        responses={200: cursor_page(ClaimSerializer), **ERRORS},
    )
    def get(self, request: Request) -> Response:
        params = ClaimParams(data=request.query_params)
        if not params.is_valid():
            raise BadInput(f"Invalid parameter: {', '.join(sorted(params.errors))}.")
        p = params.validated_data
        qs = claims_for(partner=self.partner(request))
        if p.get("patient_control_number"):
            qs = qs.filter(patient_control_number=p["patient_control_number"])
        if p.get("subscriber_id"):
            qs = qs.filter(subscriber_id=p["subscriber_id"])
        if p.get("status"):
            qs = qs.filter(status=p["status"])
        if p.get("batch"):
            qs = qs.filter(batch_id=p["batch"])
        paginator = ById()
        page = paginator.paginate_queryset(qs, request, view=self)
        self.record_phi(request, ids=[c.pk for c in page])
        return paginator.get_paginated_response(ClaimSerializer(page, many=True).data)


class ClaimDetailView(ApiView):
    partner_allowed = True
    staff_perms = PERMS
    phi_resource = "claim"

    @extend_schema(
        operation_id="claim_detail",
        summary="One claim and its journey",
        responses={200: ClaimDetailSerializer, 404: ErrorSerializer, **ERRORS},
    )
    def get(self, request: Request, claim_id: int) -> Response:
        claim = claims_for(partner=self.partner(request)).filter(pk=claim_id).first()
        if claim is None:
            raise NotFound("No such claim.")
        claim.journey = [step.__dict__ for step in claim_journey(claim)]
        self.record_phi(request, ids=[claim.pk])
        return Response(ClaimDetailSerializer(claim).data)
