"""Response shapes of the API (they document the OpenAPI schema, too)."""

from __future__ import annotations

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

from outbound.models import OutboundFile


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField()


class IngestResultSerializer(serializers.Serializer):
    batch = serializers.IntegerField(allow_null=True)
    status = serializers.CharField()
    already_received = serializers.BooleanField()
    reason = serializers.CharField(allow_blank=True)
    partner = serializers.CharField(allow_blank=True)
    sets_accepted = serializers.IntegerField()
    sets_rejected = serializers.IntegerField()
    url = serializers.CharField(allow_blank=True)


class SetSerializer(serializers.Serializer):
    isa13 = serializers.CharField()
    gs06 = serializers.CharField()
    st01 = serializers.CharField()
    st02 = serializers.CharField()
    verdict = serializers.CharField(allow_blank=True)
    routing_status = serializers.CharField(allow_blank=True)
    errors = serializers.JSONField(source="error_summary")


class ResponseOwedSerializer(serializers.Serializer):
    response_type = serializers.CharField()
    status = serializers.CharField()
    due_at = serializers.DateTimeField()
    assembled_at = serializers.DateTimeField(allow_null=True)
    file_id = serializers.UUIDField(allow_null=True)
    file_status = serializers.CharField(allow_blank=True)
    published = serializers.CharField(allow_blank=True)
    received_by_partner_at = serializers.DateTimeField(allow_null=True)


class InterchangeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    original_name = serializers.CharField()
    partner = serializers.CharField(allow_blank=True)
    received_at = serializers.DateTimeField()
    channel = serializers.CharField()
    isa13 = serializers.CharField(allow_blank=True)
    status = serializers.CharField(
        help_text="The batch status (RECEIVED, ACCEPTED, REJECTED…); PROCESSING while a "
        "worker holds a RECEIVED batch (a large submission being processed)."
    )
    reason = serializers.CharField(allow_blank=True)
    sets_accepted = serializers.IntegerField()
    sets_rejected = serializers.IntegerField()
    sets = SetSerializer(many=True)
    responses = ResponseOwedSerializer(many=True)


class OutboundFileSerializer(serializers.ModelSerializer):
    partner = serializers.CharField(source="partner.code")
    name = serializers.CharField(source="file_name")
    isa13 = serializers.IntegerField()

    class Meta:
        model = OutboundFile
        fields = (
            "id",
            "partner",
            "transaction_type",
            "name",
            "isa13",
            "gs06",
            "status",
            "size",
            "sha256",
            "created_at",
            "received_at",
            "ingestion_ids",
        )


class ReceiptSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    received_at = serializers.DateTimeField()
    first_receipt = serializers.BooleanField()


class CoverageSerializer(serializers.Serializer):
    coverage_key = serializers.CharField()
    plan = serializers.CharField(allow_blank=True)
    coverage_level = serializers.CharField(allow_blank=True)
    benefit_begin = serializers.DateField(allow_null=True)
    benefit_end = serializers.DateField(allow_null=True)
    active = serializers.BooleanField()


class MemberSerializer(serializers.Serializer):
    aggregate_id = serializers.CharField()
    partner_code = serializers.CharField()
    subscriber_id = serializers.CharField()
    member_ref = serializers.CharField(allow_blank=True)
    is_subscriber = serializers.BooleanField()
    relationship = serializers.CharField(allow_blank=True)
    last_name = serializers.CharField(allow_blank=True)
    first_name = serializers.CharField(allow_blank=True)
    birth_date = serializers.DateField(allow_null=True)
    gender = serializers.CharField(allow_blank=True)
    eligible = serializers.BooleanField()
    coverages = CoverageSerializer(many=True)


class MemberLookupSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    projection_lag_events = serializers.IntegerField()
    members = MemberSerializer(many=True)


class EventSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    event_id = serializers.CharField()
    event_type = serializers.CharField()
    version = serializers.IntegerField()
    occurred_at = serializers.DateTimeField()
    recorded_at = serializers.DateTimeField()
    batch_id = serializers.IntegerField(allow_null=True)
    is_reversal = serializers.BooleanField()
    reversed_by = serializers.IntegerField(allow_null=True)
    data = serializers.JSONField()


class EnrollmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    member = serializers.CharField(source="member_id")
    partner_code = serializers.CharField(source="member.partner_code")
    subscriber_id = serializers.CharField(source="member.subscriber_id")
    last_name = serializers.CharField(source="member.last_name")
    first_name = serializers.CharField(source="member.first_name")
    coverage_key = serializers.CharField()
    plan = serializers.CharField()
    coverage_level = serializers.CharField()
    benefit_begin = serializers.DateField(allow_null=True)
    benefit_end = serializers.DateField(allow_null=True)


class JourneyStepSerializer(serializers.Serializer):
    step = serializers.CharField()
    when = serializers.DateTimeField(allow_null=True)
    summary = serializers.CharField()
    outbound_file_id = serializers.UUIDField(allow_null=True)
    batch_id = serializers.IntegerField(allow_null=True)


class ClaimSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    partner = serializers.CharField(source="partner.code")
    batch_id = serializers.IntegerField()
    claim_type = serializers.CharField()
    patient_control_number = serializers.CharField()
    total_charge = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True)
    subscriber_id = serializers.CharField()
    patient_member = serializers.CharField()
    service_from = serializers.DateField(allow_null=True)
    service_to = serializers.DateField(allow_null=True)
    status = serializers.CharField()
    reason = serializers.CharField(allow_blank=True)
    payer_claim_control_number = serializers.IntegerField(allow_null=True)
    received_at = serializers.DateTimeField()


class ClaimDetailSerializer(ClaimSerializer):
    journey = JourneyStepSerializer(many=True)


def cursor_page(serializer_class: type[serializers.Serializer]) -> serializers.Serializer:
    """The schema of one cursor page of ``serializer_class`` rows."""
    name = serializer_class.__name__.removesuffix("Serializer")
    return inline_serializer(
        name=f"{name}Page",
        fields={
            "next": serializers.CharField(allow_null=True),
            "previous": serializers.CharField(allow_null=True),
            "results": serializer_class(many=True),
        },
    )


# The errors every endpoint may answer (JSON ``{"detail", "code"}``).
ERROR_RESPONSES = {
    400: ErrorSerializer,
    401: ErrorSerializer,
    403: ErrorSerializer,
    404: ErrorSerializer,
    413: ErrorSerializer,
    429: ErrorSerializer,
}
