"""The read side of the ledger: members (coverage as of a date), a member's events, active
enrollments by partner and plan. Read from the projections (and the log for history),
never by replaying events at request time. Every answer carries PHI: access records."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from api.errors import BadInput
from api.pagination import ById
from api.selectors import enrollments_active
from api.serializers import (
    ERROR_RESPONSES,
    EnrollmentSerializer,
    ErrorSerializer,
    EventSerializer,
    MemberLookupSerializer,
    cursor_page,
)
from eventstore.ledger.lookup import MemberFacts, members_by_identifier, projection_freshness
from eventstore.ledger.models import Member
from eventstore.ledger.selectors import member_history

from .base import ApiView

__all__ = ["ActiveEnrollmentsView", "MemberEventsView", "MemberLookupView"]

VIEW_MEMBER = "eventstore.view_member"
ERRORS = ERROR_RESPONSES


class LookupParams(serializers.Serializer):
    subscriber_id = serializers.CharField(required=False, max_length=80)
    member_id = serializers.CharField(required=False, max_length=80)
    as_of = serializers.DateField(required=False, help_text="Coverage as of (default today).")
    partner = serializers.CharField(required=False, max_length=15, help_text="Staff only.")

    def validate(self, attrs):
        if not attrs.get("subscriber_id") and not attrs.get("member_id"):
            raise serializers.ValidationError("subscriber_id or member_id is required")
        return attrs


class EnrollmentParams(serializers.Serializer):
    partner = serializers.CharField(required=False, max_length=15)
    plan = serializers.CharField(required=False, max_length=50)
    as_of = serializers.DateField(required=False)


def _params(serializer_class, request: Request) -> dict:
    params = serializer_class(data=request.query_params)
    if not params.is_valid():
        raise BadInput(f"Invalid parameter: {', '.join(sorted(params.errors))}.")
    return params.validated_data


def _member(m: MemberFacts, as_of: dt.date) -> dict:
    return {
        "aggregate_id": m.aggregate_id,
        "partner_code": m.partner_code,
        "subscriber_id": m.subscriber_id,
        "member_ref": m.member_ref,
        "is_subscriber": m.is_subscriber,
        "relationship": m.relationship,
        "last_name": m.last_name,
        "first_name": m.first_name,
        "birth_date": m.birth_date,
        "gender": m.gender,
        "eligible": m.eligible_on(as_of),
        "coverages": [
            {
                "coverage_key": c.coverage_key,
                "plan": c.plan,
                "coverage_level": c.coverage_level,
                "benefit_begin": c.benefit_begin,
                "benefit_end": c.benefit_end,
                "active": c.active_on(as_of),
            }
            for c in m.coverages
        ],
    }


class MemberLookupView(ApiView):
    partner_allowed = True
    staff_perms = (VIEW_MEMBER,)
    phi_resource = "member"

    @extend_schema(
        operation_id="member_lookup",
        summary="Members by subscriber id or member id, with their coverage as of a date",
        parameters=[LookupParams],
        responses={200: MemberLookupSerializer, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        p = _params(LookupParams, request)
        as_of = p.get("as_of") or timezone.localdate()
        partner = self.partner(request)
        codes = [partner.code] if partner else ([p["partner"]] if p.get("partner") else [])
        identifier = p.get("member_id") or p["subscriber_id"]
        found = members_by_identifier(identifiers=[identifier], partner_codes=codes)
        members = found.get(identifier, [])
        if p.get("subscriber_id") and p.get("member_id"):
            members = [m for m in members if m.subscriber_id == p["subscriber_id"]]
        head, applied = projection_freshness()
        self.record_phi(request, ids=[m.aggregate_id for m in members])
        body = {
            "as_of": as_of,
            "projection_lag_events": max(head - applied, 0),
            "members": [_member(m, as_of) for m in members],
        }
        # already in the serializer's shape (plain values): the nested serializer would only
        # copy it, at a CPU cost that showed in the lookup's profile; it documents the schema
        return Response(body)


class MemberEventsView(ApiView):
    partner_allowed = True
    staff_perms = (VIEW_MEMBER,)
    phi_resource = "member_events"

    @extend_schema(
        operation_id="member_events",
        summary="A member's events (the log, in order), by aggregate id",
        responses={200: EventSerializer(many=True), 404: ErrorSerializer, **ERRORS},
    )
    def get(self, request: Request, aggregate_id: str) -> Response:
        partner = self.partner(request)
        members = Member.objects.filter(aggregate_id=aggregate_id)
        if partner is not None:
            members = members.filter(partner_code=partner.code)
        if not members.exists():
            raise NotFound("No such member.")
        history = member_history(aggregate_id)
        self.record_phi(request, ids=[aggregate_id])
        return Response(EventSerializer([h.to_dict() for h in history], many=True).data)


class ActiveEnrollmentsView(ApiView):
    partner_allowed = True
    staff_perms = (VIEW_MEMBER,)
    phi_resource = "enrollments"

    @extend_schema(
        operation_id="enrollments_active",
        summary="Active enrollments as of a date, by partner and plan (cursor pagination)",
        parameters=[
            EnrollmentParams,
            OpenApiParameter("cursor", str),
            OpenApiParameter("page_size", int),
        ],
        responses={200: cursor_page(EnrollmentSerializer), **ERRORS},
    )
    def get(self, request: Request) -> Response:
        p = _params(EnrollmentParams, request)
        partner = self.partner(request)
        code = partner.code if partner else p.get("partner", "")
        qs = enrollments_active(
            as_of=p.get("as_of") or timezone.localdate(), partner_code=code, plan=p.get("plan", "")
        )
        paginator = ById()
        page = paginator.paginate_queryset(qs, request, view=self)
        self.record_phi(request, ids=[e.pk for e in page])
        return paginator.get_paginated_response(EnrollmentSerializer(page, many=True).data)
