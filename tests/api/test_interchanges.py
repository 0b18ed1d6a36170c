"""Submitting X12 over HTTP: the same ingest service as the admin upload (idempotent by
content), the verdict in the answer, the journey on GET; a partner sees only its own."""

from __future__ import annotations

import pytest
from django.test import override_settings

from eventstore.inbound.models import BatchChannel, TransactionBatch
from tests.api.conftest import OTHER_SENDER, enrol_jane, inquiry_270

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_submitted_file_is_ingested_and_answered_with_its_batch_and_verdict(world, provider_api):
    response = provider_api.post("/api/v1/interchanges?name=today.270", inquiry_270())
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "ACCEPTED" and body["already_received"] is False
    assert body["partner"] == "PROV01" and body["sets_accepted"] == 1
    batch = TransactionBatch.objects.get(pk=body["batch"])
    assert batch.channel == BatchChannel.API and batch.original_name == "today.270"
    assert body["url"] == f"/api/v1/interchanges/{batch.pk}"


def test_the_same_bytes_twice_answer_the_same_batch(world, provider_api):
    first = provider_api.post("/api/v1/interchanges", inquiry_270()).json()
    again = provider_api.post("/api/v1/interchanges", inquiry_270())
    assert again.status_code == 200
    assert again.json()["batch"] == first["batch"] and again.json()["already_received"]
    assert TransactionBatch.objects.count() == 1


def test_the_interchange_page_shows_sets_and_the_answers_owed_and_sent(world, provider_api):
    enrol_jane(world)
    batch = provider_api.post("/api/v1/interchanges", inquiry_270()).json()["batch"]
    body = provider_api.get(f"/api/v1/interchanges/{batch}").json()
    assert body["status"] == "ACCEPTED"
    assert [(s["st01"], s["verdict"]) for s in body["sets"]] == [("270", "A")]
    owed = {r["response_type"]: r for r in body["responses"]}
    assert set(owed) == {"999", "271"}
    assert owed["271"]["status"] == "ASSEMBLED" and owed["271"]["file_id"]


def test_a_rejected_file_says_why(world, provider_api):
    data = inquiry_270().replace(b"IEA*1*000000501", b"IEA*1*000000999")
    body = provider_api.post("/api/v1/interchanges", data).json()
    assert body["status"] == "REJECTED" and body["reason"]


def test_a_partner_cannot_submit_in_another_partners_name(world, provider_api, other_provider):
    response = provider_api.post("/api/v1/interchanges", inquiry_270(sender=OTHER_SENDER))
    assert response.status_code == 403
    assert "ISA05/ISA06" in response.json()["detail"]
    assert not TransactionBatch.objects.exists()


def test_an_interchange_of_another_partner_is_not_found(world, provider_api, other_api):
    batch = provider_api.post("/api/v1/interchanges", inquiry_270()).json()["batch"]
    assert other_api.get(f"/api/v1/interchanges/{batch}").status_code == 404
    assert provider_api.get(f"/api/v1/interchanges/{batch}").status_code == 200


@pytest.mark.parametrize(
    "path", ["/api/v1/interchanges/999999", "/api/v1/interchanges/9999999999999999999999"]
)
def test_an_unknown_interchange_is_404(world, provider_api, path):
    response = provider_api.get(path)
    assert response.status_code == 404
    assert response.json()["code"] in ("not_found", "error")


@pytest.mark.parametrize("body", [b"", b"hello", b'{"json": true}', b"\x00\x01\x02"])
def test_bytes_that_are_not_x12_are_refused_with_400_and_nothing_stored(world, provider_api, body):
    response = provider_api.post("/api/v1/interchanges", body)
    assert response.status_code == 400
    assert "not an X12 interchange" in response.json()["detail"]
    assert not TransactionBatch.objects.exists()


def test_a_body_over_the_configured_limit_is_413_before_authentication(world, provider_api):
    with override_settings(API_MAX_BODY_BYTES=200):
        response = provider_api.post("/api/v1/interchanges", inquiry_270())
        assert response.status_code == 413
        assert response.json()["code"] == "payload_too_large"
        anonymous = provider_api.client.post(
            "/api/v1/interchanges", inquiry_270(), content_type="text/plain"
        )
        assert anonymous.status_code == 413
    assert not TransactionBatch.objects.exists()
