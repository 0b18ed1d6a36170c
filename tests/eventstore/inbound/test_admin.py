"""Batches admin: list, search, detail tree, raw download permission, upload, reprocess."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from eventstore.inbound.services.ingest import ingest_bytes
from eventstore.models import BatchStatus, TransactionBatch
from outbound.models import ProcessingOutcome
from tests.eventstore.inbound.samples import SENDER, onboard_partner, sample, two_sets_one_bad
from tests.eventstore.inbound.samples import inbound_storage as inbound_storage_dir  # noqa: F401
from tests.factories import TradingPartnerFactory
from tests.support.users import staff_client, staff_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("inbound_storage_dir")]

CHANGELIST = "admin:eventstore_transactionbatch_changelist"


def test_upload_form_ingests_several_files_at_once(admin_client_logged_in):
    onboard_partner()
    files = [
        SimpleUploadedFile("one.x12", sample()),
        SimpleUploadedFile("two.x12", sample(isa13="000000102")),
        SimpleUploadedFile("empty.x12", b""),
    ]
    url = reverse("admin:eventstore_transactionbatch_upload")
    assert admin_client_logged_in.get(url).status_code == 200
    response = admin_client_logged_in.post(url, {"files": files}, follow=True)

    assert response.status_code == 200
    batches = {b.original_name: b for b in TransactionBatch.objects.all()}
    assert set(batches) == {"one.x12", "two.x12", "empty.x12"}
    assert {b.channel for b in batches.values()} == {"upload"}
    assert batches["one.x12"].status == BatchStatus.ACCEPTED
    assert batches["empty.x12"].status == BatchStatus.REJECTED
    text = response.content.decode().lower()
    assert "one.x12: accepted as batch" in text
    assert "empty.x12: rejected as batch" in text and "the file is empty" in text


def test_upload_needs_the_add_permission(client):
    staff_client(client, "view_transactionbatch")
    url = reverse("admin:eventstore_transactionbatch_upload")
    assert client.get(url).status_code == 403
    assert "Upload files" not in client.get(reverse(CHANGELIST)).content.decode()


def test_search_by_isa13_file_name_and_sha256_prefix(admin_client_logged_in):
    onboard_partner()
    first = ingest_bytes(data=sample(), original_name="alpha.x12")
    ingest_bytes(data=sample(isa13="000000777"), original_name="beta.x12")
    sha = TransactionBatch.objects.get(pk=first.batch).sha256

    def found(term):
        response = admin_client_logged_in.get(reverse(CHANGELIST), {"q": term})
        return {b.original_name for b in response.context["cl"].result_list}

    assert found("000000777") == {"beta.x12"}
    assert found("777") == {"beta.x12"}
    assert found("alpha") == {"alpha.x12"}
    assert found(sha[:10]) == {"alpha.x12"}
    response = admin_client_logged_in.get(reverse(CHANGELIST), {"status__exact": "ACCEPTED"})
    assert len(response.context["cl"].result_list) == 2


def test_detail_page_shows_the_tree_with_readable_errors(admin_client_logged_in):
    onboard_partner()
    result = ingest_bytes(data=two_sets_one_bad(), original_name="two.x12")
    url = reverse("admin:eventstore_transactionbatch_change", args=[result.batch])
    text = admin_client_logged_in.get(url).content.decode()
    assert 'id="batch-tree"' in text
    assert "Interchange ISA13 000000101" in text and "GS06 1" in text
    assert "Partially Accepted" in text  # AK9 P meaning
    assert "Invalid Date" in text and "Member Birth Date" in text
    assert "[SNIP 1]" in text  # each finding names its WEDI SNIP type
    assert "Routed" in text  # the 834 handler (event store) takes the valid set
    assert "19801340" not in text  # the bad value (PHI) is not shown
    assert 'name="_save"' not in text  # the registry is read-only


def test_raw_file_download_needs_its_own_permission(client):
    onboard_partner()
    data = sample()
    result = ingest_bytes(data=data, original_name="enroll.x12")
    user = staff_user("view_transactionbatch")
    client.force_login(user)
    raw = reverse("admin:eventstore_transactionbatch_raw", args=[result.batch])
    detail = reverse("admin:eventstore_transactionbatch_change", args=[result.batch])

    assert client.get(raw).status_code == 403
    assert 'id="raw-download"' not in client.get(detail).content.decode()

    user.user_permissions.add(Permission.objects.get(codename="view_raw_file"))
    client.force_login(user)
    response = client.get(raw)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == data
    assert "enroll.x12" in response["Content-Disposition"]
    assert 'id="raw-download"' in client.get(detail).content.decode()


def test_reprocess_action_confirms_first_then_processes(admin_client_logged_in):
    waiting = ingest_bytes(data=sample(), original_name="new.x12")
    onboard_partner()
    rejected = ingest_bytes(data=sample(isa13="000000555", receiver="NOTUS"), original_name="r.x12")
    ids = [str(waiting.batch), str(rejected.batch)]
    payload = {"action": "reprocess_selected", "_selected_action": ids}

    confirm = admin_client_logged_in.post(reverse(CHANGELIST), payload)
    assert confirm.status_code == 200
    text = confirm.content.decode()
    assert "Reprocess batches?" in text and "Yes, reprocess" in text
    assert "is final" in text and "1 of 2 selected items qualifies" in text
    assert TransactionBatch.objects.get(pk=waiting.batch).status == BatchStatus.UNKNOWN_PARTNER

    done = admin_client_logged_in.post(
        reverse(CHANGELIST), {**payload, "confirm": "yes"}, follow=True
    )
    assert done.status_code == 200
    batch = TransactionBatch.objects.get(pk=waiting.batch)
    assert batch.status == BatchStatus.ACCEPTED and batch.last_reprocessed_by == "ops-admin"
    assert ProcessingOutcome.objects.filter(batch=batch, response_type="999").exists()
    assert TransactionBatch.objects.get(pk=rejected.batch).reprocess_count == 0  # final


def test_header_list_filters_by_batch_and_shows_no_handler(admin_client_logged_in):
    onboard_partner()
    first = ingest_bytes(data=sample(), original_name="a.x12")
    ingest_bytes(data=sample(isa13="000000999"), original_name="b.x12")
    url = reverse("admin:eventstore_transactionheader_changelist")
    response = admin_client_logged_in.get(url, {"batch__id__exact": first.batch})
    assert [h.batch_id for h in response.context["cl"].result_list] == [first.batch]
    assert "Accepted, no handler" in response.content.decode()


def test_unknown_partner_detail_page_offers_reprocess(admin_client_logged_in):
    TradingPartnerFactory(code="OTHER")
    result = ingest_bytes(data=sample(sender="NEWCOMER"), original_name="n.x12")
    url = reverse("admin:eventstore_transactionbatch_change", args=[result.batch])
    text = admin_client_logged_in.get(url).content.decode()
    assert "ZZ/NEWCOMER" in text and 'id="reprocess-form"' in text
    assert "Not validated (unknown partner)" in text
    assert SENDER not in text
