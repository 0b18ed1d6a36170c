"""Submissions larger than ``API_SYNC_MAX_BYTES``: stored and registered at once, answered 202
with the batch to poll, processed by the queued Celery task (eager here: it runs when the
test releases the on-commit callbacks it held back), idempotent by content, partner-scoped.

These tests hold the request's on-commit callbacks (the enqueued task) to see the batch
before it is processed, so they run inside the test's transaction (not ``transaction=True``).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.utils import timezone
from rest_framework.request import Request

from api.errors import PayloadTooLarge
from api.views.base import spooled_body
from eventstore.inbound.models import BatchChannel, BatchStatus, TransactionBatch
from eventstore.inbound.services.recovery import batches_recover
from eventstore.inbound.storage import inbound_storage
from tests.api.conftest import OTHER_SENDER, enrol_jane, inquiry_270

pytestmark = pytest.mark.django_db


@pytest.fixture
def large(settings):
    """A 270 one byte over the synchronous limit (the limit is lowered, not the file grown)."""
    data = inquiry_270()
    settings.API_SYNC_MAX_BYTES = len(data) - 1
    return data


def submit_held(api, data, capture):
    """POST ``data`` keeping back what runs after the commit (the queued task)."""
    with capture(execute=False) as held:
        response = api.post("/api/v1/interchanges?name=big.270", data)
    return response, held


def run(held, capture):
    with capture(execute=True):  # and whatever the task itself enqueues on commit
        for callback in held:
            callback()


def test_a_large_file_is_answered_202_with_the_batch_to_poll_then_processed_by_the_task(
    world, provider_api, large, django_capture_on_commit_callbacks
):
    enrol_jane(world)
    response, held = submit_held(provider_api, large, django_capture_on_commit_callbacks)
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "RECEIVED" and body["already_received"] is False
    assert response["Location"] == body["url"] == f"/api/v1/interchanges/{body['batch']}"
    batch = TransactionBatch.objects.get(pk=body["batch"])
    assert batch.channel == BatchChannel.API and batch.original_name == "big.270"
    assert inbound_storage().open(batch.storage_path).read() == large  # stored durably
    assert len(held) == 1  # the task, sent on commit

    polled = provider_api.get(response["Location"]).json()
    assert polled["status"] == "RECEIVED" and polled["sets"] == []

    run(held, django_capture_on_commit_callbacks)
    polled = provider_api.get(response["Location"]).json()
    assert polled["status"] == "ACCEPTED" and polled["sets_accepted"] == 1
    assert {r["response_type"] for r in polled["responses"]} == {"999", "271"}


def test_a_batch_being_processed_polls_as_processing(world, provider_api, large):
    batch_id = provider_api.post("/api/v1/interchanges", large).json()["batch"]
    # a worker holds its lease (as the task does while it works)
    TransactionBatch.objects.filter(pk=batch_id).update(
        status=BatchStatus.RECEIVED, lease_expires_at=timezone.now() + timedelta(minutes=1)
    )
    assert provider_api.get(f"/api/v1/interchanges/{batch_id}").json()["status"] == "PROCESSING"


def test_the_same_large_file_again_answers_the_same_batch_queued_or_finished(
    world, provider_api, large, django_capture_on_commit_callbacks
):
    first, held = submit_held(provider_api, large, django_capture_on_commit_callbacks)
    again, held_again = submit_held(provider_api, large, django_capture_on_commit_callbacks)
    assert again.status_code == 202 and again.json()["already_received"] is True
    assert again.json()["batch"] == first.json()["batch"] and held_again == []  # no 2nd task
    run(held, django_capture_on_commit_callbacks)
    done = provider_api.post("/api/v1/interchanges", large)
    assert done.status_code == 200
    assert done.json()["batch"] == first.json()["batch"] and done.json()["status"] == "ACCEPTED"
    assert TransactionBatch.objects.count() == 1


def test_a_small_file_is_still_answered_with_its_verdict(world, provider_api, settings):
    data = inquiry_270()
    settings.API_SYNC_MAX_BYTES = len(data)
    response = provider_api.post("/api/v1/interchanges", data)
    assert response.status_code == 201 and response.json()["status"] == "ACCEPTED"
    assert "Location" not in response


def test_a_lost_task_is_made_good_by_recovery(
    world, provider_api, large, django_capture_on_commit_callbacks
):
    response, _lost = submit_held(provider_api, large, django_capture_on_commit_callbacks)
    batch_id = response.json()["batch"]
    assert batches_recover().finished == []  # younger than a lease: the task may still come
    later = timezone.now() + timedelta(hours=1)
    assert batches_recover(now=later).finished == [batch_id]
    assert TransactionBatch.objects.get(pk=batch_id).status == BatchStatus.ACCEPTED


def test_another_partner_neither_submits_large_files_in_its_name_nor_reads_them(
    world, provider_api, other_api, large, django_capture_on_commit_callbacks
):
    refused = provider_api.post("/api/v1/interchanges", inquiry_270(sender=OTHER_SENDER))
    assert refused.status_code == 403 and not TransactionBatch.objects.exists()
    response, held = submit_held(provider_api, large, django_capture_on_commit_callbacks)
    location = response["Location"]
    assert other_api.get(location).status_code == 404
    run(held, django_capture_on_commit_callbacks)
    assert other_api.get(location).status_code == 404
    assert provider_api.get(location).status_code == 200


def test_a_large_body_over_the_absolute_limit_is_413_before_authentication(
    world, provider_api, large, settings
):
    settings.API_MAX_BODY_BYTES = len(large) - 1
    assert provider_api.post("/api/v1/interchanges", large).status_code == 413
    anonymous = provider_api.client.post("/api/v1/interchanges", large, content_type="text/plain")
    assert anonymous.status_code == 413 and anonymous.json()["code"] == "payload_too_large"
    assert not TransactionBatch.objects.exists()


def test_a_body_without_a_declared_length_is_cut_off_at_the_limit_while_it_is_streamed(
    settings,
):
    settings.API_MAX_BODY_BYTES = 3000
    request = RequestFactory().post("/api/v1/interchanges", b"x" * 5000, "text/plain")
    with pytest.raises(PayloadTooLarge), spooled_body(Request(request), keep=1000):
        pass
    request = RequestFactory().post("/api/v1/interchanges", b"x" * 2500, "text/plain")
    with spooled_body(Request(request), keep=1000) as body:
        assert body.data is None and body.size == 2500 and body.head == b"x" * len(body.head)
        with body.open() as stream:
            assert stream.read() == b"x" * 2500
