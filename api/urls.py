"""``/api/v1/``: the versioned API; ``/api/schema/`` (OpenAPI 3) and ``/api/docs/``."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import path, re_path, register_converter
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from api.views.claims import ClaimDetailView, ClaimListView
from api.views.files import FileContentView, FileListView, FileReceivedView
from api.views.interchanges import InterchangeDetailView, InterchangeSubmitView
from api.views.members import ActiveEnrollmentsView, MemberEventsView, MemberLookupView
from api.views.realtime import ClaimStatusRealtimeView, EligibilityRealtimeView


class BoundedInt:
    """A path id PostgreSQL's bigint can hold (a longer one is "not found", not an error)."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(BoundedInt, "id")

_public = {"authentication_classes": [], "permission_classes": [], "throttle_classes": []}

v1 = [
    path("interchanges", InterchangeSubmitView.as_view(), name="interchange-submit"),
    path("interchanges/<id:batch_id>", InterchangeDetailView.as_view(), name="interchange"),
    path("files", FileListView.as_view(), name="files"),
    path("files/<uuid:file_id>/content", FileContentView.as_view(), name="file-content"),
    path("files/<uuid:file_id>/received", FileReceivedView.as_view(), name="file-received"),
    path("realtime/eligibility", EligibilityRealtimeView.as_view(), name="realtime-eligibility"),
    path("realtime/claim-status", ClaimStatusRealtimeView.as_view(), name="realtime-claim-status"),
    path("members", MemberLookupView.as_view(), name="members"),
    path("members/<str:aggregate_id>/events", MemberEventsView.as_view(), name="member-events"),
    path("enrollments/active", ActiveEnrollmentsView.as_view(), name="enrollments-active"),
    path("claims", ClaimListView.as_view(), name="claims"),
    path("claims/<id:claim_id>", ClaimDetailView.as_view(), name="claim"),
]


def not_found(request: HttpRequest, rest: str = "") -> JsonResponse:
    """Any other address under /api/: JSON 404 like the API's own (never an HTML page)."""
    return JsonResponse({"detail": "No such API endpoint.", "code": "not_found"}, status=404)


urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(**_public), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema", **_public), name="docs"),
]
urlpatterns.append(re_path(r"^(?P<rest>.*)$", not_found))
