"""What operators see: the claims (behind ``eventstore.view_member``, like members), searched
by patient control number, our claim control number, billing NPI, member id and dates of
service; each claim's journey (received → 999 → 277CA, with links); a batch's claims by
status; the edits per partner; the SLA board and the rejection report (codes and counts)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from eventstore.models import TransactionBatch, TransactionHeader
from outbound.models import Claim, ClaimEditSetting, ProcessingOutcome
from tests.support.synthetic_837 import OTHER_NPI, Line, Person, Provider
from tests.support.synthetic_837 import Claim as C
from tests.support.users import staff_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def received(world):
    """One 837 of three claims: two accepted (two providers), one of an unknown member."""
    world.enrol()
    result = world.send(
        "P",
        [
            Provider(
                claims=[
                    C(pcn="JOURNEY1", lines=[Line(date="20250110")]),
                    C(pcn="STRANGER", subscriber=Person(id="X0404", last="ZZWHO")),
                ]
            ),
            Provider(npi=OTHER_NPI, claims=[C(pcn="OTHERDOC", lines=[Line(date="20250301")])]),
        ],
    )
    ack = world.ack(result)
    return result, ack


def listed(client, **params) -> set[str]:
    response = client.get(reverse("admin:outbound_claim_changelist"), params)
    assert response.status_code == 200
    return {
        c.patient_control_number
        for c in response.context["cl"].result_list  # what the list shows
    }


def test_claims_need_the_member_permission(client, django_user_model, received):
    c = staff_client(client, "outbound.view_claim")
    assert c.get(reverse("admin:outbound_claim_changelist")).status_code == 403
    claim = Claim.objects.get(patient_control_number="JOURNEY1")
    assert c.get(reverse("admin:outbound_claim_change", args=[claim.pk])).status_code == 403
    c = staff_client(client, "outbound.view_claim", "eventstore.view_member", username="other")
    page = c.get(reverse("admin:outbound_claim_changelist")).content.decode()
    assert "JOURNEY1" in page
    page = c.get(reverse("admin:outbound_claim_change", args=[claim.pk])).content.decode()
    assert "JOURNEY1" in page and "SUB0001" in page


def test_search_by_each_key_and_by_dates_of_service(admin_client_logged_in, received):
    c = admin_client_logged_in
    accepted = Claim.objects.get(patient_control_number="JOURNEY1")
    assert listed(c, q="JOURNEY1") == {"JOURNEY1"}
    assert listed(c, q=str(accepted.payer_claim_control_number)) == {"JOURNEY1"}
    assert listed(c, q=OTHER_NPI) == {"OTHERDOC"}
    assert listed(c, q=accepted.subscriber_member) == {"JOURNEY1", "OTHERDOC"}
    assert listed(c, q="X0404") == {"STRANGER"}
    assert listed(c, status__exact="REJECTED") == {"STRANGER"}
    assert listed(c, service_from__gte="2025-02-01") == {"OTHERDOC"}
    assert listed(c, service_to__lte="2025-01-31", status__exact="ACCEPTED") == {"JOURNEY1"}
    assert listed(c, batch=str(accepted.batch_id)) == {"JOURNEY1", "STRANGER", "OTHERDOC"}
    assert listed(c, q="not-a-number-nor-a-claim") == set()


def test_a_claims_page_is_its_journey(admin_client_logged_in, received):
    result, ack = received
    claim = Claim.objects.get(patient_control_number="JOURNEY1")
    page = admin_client_logged_in.get(
        reverse("admin:outbound_claim_change", args=[claim.pk])
    ).content.decode()
    assert 'id="claim-journey"' in page
    assert reverse("admin:eventstore_transactionbatch_change", args=[result.batch]) in page
    header = TransactionHeader.objects.get(pk=claim.header_id)
    assert f"ST02 {header.st02}" in page and f"segment position {claim.position}" in page
    assert "set accepted (IK5 A)" in page
    (file,) = ack.files
    assert reverse("admin:outbound_outboundfile_change", args=[file.pk]) in page
    assert f"REF*1K {claim.payer_claim_control_number}" in page and "A2:20" in page
    stranger = Claim.objects.get(patient_control_number="STRANGER")
    page = admin_client_logged_in.get(
        reverse("admin:outbound_claim_change", args=[stranger.pk])
    ).content.decode()
    assert "Why it was rejected" in page and "SUBSCRIBER_UNKNOWN" in page and "A7:33" in page


def test_the_batch_page_counts_its_claims(client, django_user_model, received):
    result, _ = received
    c = staff_client(client, "eventstore.view_transactionbatch", "outbound.view_claim")
    page = c.get(reverse("admin:eventstore_transactionbatch_change", args=[result.batch]))
    text = page.content.decode()
    assert 'id="batch-claims"' in text and "Rejected in the 277CA: 1" in text
    assert "Accepted into adjudication (277CA A2): 2" in text
    assert "See the claims" not in text  # the list itself needs view_member


def test_edit_settings_offer_the_switchable_edits_only(admin_client_logged_in, world):
    c = admin_client_logged_in
    page = c.get(reverse("admin:outbound_claimeditsetting_add")).content.decode()
    assert "DUPLICATE" in page and "GUIDE_FINDING" not in page
    response = c.post(
        reverse("admin:outbound_claimeditsetting_add"),
        {"partner": world.provider.pk, "edit": "GUIDE_FINDING", "enabled": ""},
    )
    assert response.status_code == 200 and not ClaimEditSetting.objects.exists()
    c.post(
        reverse("admin:outbound_claimeditsetting_add"),
        {"partner": world.provider.pk, "edit": "DUPLICATE", "enabled": ""},
    )
    setting = ClaimEditSetting.objects.get()
    assert (setting.edit, setting.enabled) == ("DUPLICATE", False)
    table = c.get(reverse("reports:report", args=["claim-edits"])).content.decode()
    assert "GUIDE_FINDING" in table and world.provider.code in table


def test_the_sla_board_lists_sets_waiting_past_their_sla(client, django_user_model, world):
    world.enrol()
    late = world.send("P", [Provider(claims=[C(pcn="LATE1"), C(pcn="LATE2")])])
    world.send("P", [Provider(claims=[C(pcn="FRESH")])])
    five_hours_ago = timezone.now() - dt.timedelta(hours=5)
    TransactionBatch.objects.filter(pk=late.batch).update(received_at=five_hours_ago)
    ProcessingOutcome.objects.filter(batch_id=late.batch).update(created_at=five_hours_ago)
    c = staff_client(client, "outbound.view_claim")
    csv = c.get(reverse("reports:report", args=["claims-past-sla"]), {"format": "csv"})
    lines = b"".join(csv.streaming_content).decode().strip().splitlines()
    assert len(lines) == 2 and "LATE" not in lines[1]  # ids and counts, no claim data
    row = lines[1].split(",")
    assert row[0] == world.provider.code and row[4] == "2" and "277CA pending" in row[-1]
    assert int(row[6]) >= 299 and row[7] == "240"


def test_the_rejection_report_counts_by_edit(client, django_user_model, received):
    c = staff_client(client, "outbound.view_claim")
    page = c.get(reverse("reports:report", args=["claim-rejections"])).content.decode()
    assert "SUBSCRIBER_UNKNOWN" in page and "A7:33" in page and "ZZWHO" not in page


def _search(c, q: str) -> dict[str, list]:
    page = c.get(reverse("console-search"), {"q": q})
    assert page.status_code == 200
    return {r.source.slug: r.hits for r in page.context["results"]}


def test_the_header_search_finds_a_claim_by_either_control_number(
    client, django_user_model, received
):
    claim = Claim.objects.get(patient_control_number="JOURNEY1")
    page = reverse("admin:outbound_claim_change", args=[claim.pk])
    c = staff_client(client, "outbound.view_claim", "eventstore.view_member", username="finder")
    (hit,) = _search(c, "JOURNEY1")["claims"]
    assert hit.url == page and hit.matched == "patient control number"
    (hit,) = _search(c, str(claim.payer_claim_control_number))["claims"]
    assert hit.url == page and hit.matched == "our claim control number"
    assert "claims" not in _search(c, "JOURNEY")  # exact keys only
    # a claim names a patient: without view_member the source is not asked at all
    c = staff_client(
        client,
        "outbound.view_claim",
        "eventstore.view_transactionbatch",  # another source, so the search page answers
        username="no-phi",
    )
    assert "claims" not in _search(c, "JOURNEY1")
