"""The files we sent a partner: listed (filters, cursor pages), downloaded (an access record
each time), their receipt acknowledged (operators see it); never another partner's."""

from __future__ import annotations

import pytest

from api.access import ApiAccessRecord
from outbound.models import OutboundFile
from tests.api.conftest import enrol_jane, inquiry_270

pytestmark = pytest.mark.django_db(transaction=True)


def _answered(world, api, isa13: int = 501) -> OutboundFile:
    enrol_jane(world)
    batch = api.post("/api/v1/interchanges", inquiry_270(isa13)).json()["batch"]
    return OutboundFile.objects.get(ingestion_ids__contains=[batch], transaction_type="271")


def test_a_partner_lists_the_files_sent_to_it_by_type(world, provider_api):
    file = _answered(world, provider_api)
    body = provider_api.get("/api/v1/files", {"type": "271"}).json()
    assert [r["id"] for r in body["results"]] == [str(file.pk)]
    assert body["results"][0]["name"] == file.file_name
    assert provider_api.get("/api/v1/files", {"type": "835"}).json()["results"] == []
    both = provider_api.get("/api/v1/files").json()["results"]
    assert {r["transaction_type"] for r in both} == {"271", "999"}


def test_the_list_pages_with_a_cursor(world, provider_api):
    _answered(world, provider_api)
    first = provider_api.get("/api/v1/files", {"page_size": 1}).json()
    assert len(first["results"]) == 1 and first["next"]
    second = provider_api.get(first["next"]).json()
    assert len(second["results"]) == 1
    assert second["results"][0]["id"] != first["results"][0]["id"]


def test_bad_filters_are_400(world, provider_api):
    response = provider_api.get("/api/v1/files", {"created_from": "yesterday"})
    assert response.status_code == 400
    assert "created_from" in response.json()["detail"]
    assert provider_api.get("/api/v1/files", {"cursor": "garbage"}).status_code == 404


def test_the_content_is_the_stored_file_and_each_download_is_recorded(world, provider_api):
    file = _answered(world, provider_api)
    response = provider_api.get(f"/api/v1/files/{file.pk}/content")
    assert response.status_code == 200
    assert response.content.startswith(b"ISA") and b"ST*271*" in response.content
    record = ApiAccessRecord.objects.get()
    assert record.resource == "outbound_file" and record.resource_ids == [str(file.pk)]
    assert record.partner_code == "PROV01" and record.status_code == 200


def test_a_receipt_is_recorded_once_for_operators(world, provider_api):
    file = _answered(world, provider_api)
    first = provider_api.post(f"/api/v1/files/{file.pk}/received").json()
    again = provider_api.post(f"/api/v1/files/{file.pk}/received").json()
    assert first["first_receipt"] is True and again["first_receipt"] is False
    file.refresh_from_db()
    assert file.received_at is not None and file.received_by.startswith("api key ")
    unreceived = provider_api.get("/api/v1/files", {"received": "false"}).json()["results"]
    assert str(file.pk) not in {r["id"] for r in unreceived}


def test_another_partners_files_are_not_found_anywhere(world, provider_api, other_api):
    file = _answered(world, provider_api)
    assert other_api.get("/api/v1/files").json()["results"] == []
    assert other_api.get(f"/api/v1/files/{file.pk}/content").status_code == 404
    assert other_api.post(f"/api/v1/files/{file.pk}/received").status_code == 404
    file.refresh_from_db()
    assert file.received_at is None
    assert not ApiAccessRecord.objects.exists()


def test_staff_need_the_content_permission_for_the_bytes(world, provider_api, django_user_model):
    from tests.api.conftest import staff_token

    file = _answered(world, provider_api)
    auditor = staff_token(django_user_model, "outbound.view_outboundfile", username="aud")
    assert auditor.get("/api/v1/files").status_code == 200
    assert auditor.get(f"/api/v1/files/{file.pk}/content").status_code == 403
    operator = staff_token(
        django_user_model,
        "outbound.view_outboundfile",
        "outbound.view_file_content",
        username="op",
    )
    assert operator.get(f"/api/v1/files/{file.pk}/content").status_code == 200
    assert ApiAccessRecord.objects.get().username == "op"
