"""What operators see: a 270's batch page shows its 271 (and the 271 links back), a member's
page shows the inquiries answered about them, the AAA report per partner — and what names
members stays behind ``eventstore.view_member``."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from eventstore.models import Member
from outbound.models import ProcessingOutcome
from tests.outbound.eligibility.world import days
from tests.support.synthetic_270 import subscriber
from tests.support.synthetic_834 import member
from tests.support.users import staff_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def answered(world):
    """Jane enrolled and asked about (answered), plus one inquiry nobody matches."""
    world.enrol(
        member(
            "S100",
            last="DOE",
            first="JANE",
            birth="19800101",
            coverages=[{"line": "HLT", "plan": "GOLD", "begin": days(-30)}],
        )
    )
    result = world.ask(subscriber("S100"), subscriber("S404", last="NOBODY"))
    answer = world.answer(result)
    return result, answer


def test_the_batch_page_shows_its_271_and_the_271_links_back(admin_client_logged_in, answered):
    result, answer = answered
    page = admin_client_logged_in.get(
        reverse("admin:eventstore_transactionbatch_change", args=[result.batch])
    ).content.decode()
    assert 'id="batch-responses"' in page
    assert reverse("admin:outbound_outboundfile_change", args=[answer.file.pk]) in page
    assert f"271 ISA13 {answer.file.isa13:09d}" in page
    assert "Active coverage 1" in page and "Rejected (AAA) 1" in page
    file_page = admin_client_logged_in.get(
        reverse("admin:outbound_outboundfile_change", args=[answer.file.pk])
    ).content.decode()
    assert reverse("admin:eventstore_transactionbatch_change", args=[result.batch]) in file_page
    assert f"Answers inbound batch {result.batch}" in file_page


def test_the_member_page_shows_who_asked_when_and_what_we_said(admin_client_logged_in, answered):
    _result, answer = answered
    jane = Member.objects.get(subscriber_id="S100")
    page = admin_client_logged_in.get(
        reverse("admin:eventstore_member_change", args=[jane.pk])
    ).content.decode()
    assert 'id="member-inquiries"' in page
    assert "PROV01" in page and "1234567893" in page  # the partner and the provider
    assert "Active coverage" in page and "EB 1 30 HLT GOLD" in page
    assert f"ISA13 {answer.file.isa13:09d}" in page


def test_inquiries_are_phi_and_need_view_member(client, django_user_model, answered):
    url = reverse("admin:outbound_eligibilityinquiry_changelist")
    without = staff_client(client, "outbound.view_eligibilityinquiry")
    assert without.get(url).status_code == 403
    user = django_user_model.objects.get(username="analyst")
    user.user_permissions.add(Permission.objects.get(codename="view_member"))
    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "2100C 75 Subscriber/Insured Not Found" in text and "Active coverage" in text


def test_a_271s_content_needs_the_file_content_permission(client, django_user_model, answered):
    _result, answer = answered
    c = staff_client(client, "outbound.view_outboundfile", "outbound.view_processingoutcome")
    file_url = reverse("admin:outbound_outboundfile_change", args=[answer.file.pk])
    page = c.get(file_url).content.decode()
    assert page.count("NM1*IL") == 0 and "segments (one per line)" not in page
    download = reverse("admin:outbound_outboundfile_download", args=[answer.file.pk])
    assert c.get(download).status_code == 403
    outcome = ProcessingOutcome.objects.get(outbound_file=answer.file)
    outcome_page = c.get(
        reverse("admin:outbound_processingoutcome_change", args=[outcome.pk])
    ).content.decode()
    assert "DOE" not in outcome_page and "S100" not in outcome_page
    user = django_user_model.objects.get(username="analyst")
    user.user_permissions.add(Permission.objects.get(codename="view_file_content"))
    assert "NM1*IL*1*DOE*JANE" in c.get(file_url).content.decode()
    assert c.get(download).status_code == 200


def test_the_report_counts_rejections_by_aaa_code_per_partner(admin_client_logged_in, answered):
    url = reverse("reports:report", args=["eligibility-rejections"])
    page = admin_client_logged_in.get(url).content.decode()
    assert "PROV01" in page and "Subscriber/Insured Not Found" in page
    response = admin_client_logged_in.get(url + "?format=csv&days=7")
    csv = b"".join(response.streaming_content).decode()
    lines = csv.strip().splitlines()
    assert lines[0].startswith("partner,loop,AAA03")
    assert lines[1].startswith("PROV01,2100C,75,Subscriber/Insured Not Found,C Please Correct")
    assert lines[1].split(",")[5] == "1"


def test_the_report_needs_the_inquiry_view_permission_only(client, django_user_model, answered):
    url = reverse("reports:report", args=["eligibility-rejections"])
    assert staff_client(client).get(url).status_code == 403
    user = django_user_model.objects.get(username="analyst")
    user.user_permissions.add(Permission.objects.get(codename="view_eligibilityinquiry"))
    assert client.get(url).status_code == 200


def test_a_policy_refuses_authorised_receivers_that_are_not_npis(world):
    from django.core.exceptions import ValidationError

    from outbound.models import EligibilityPolicy

    policy = EligibilityPolicy(partner=world.provider, authorised_receivers="1234567893, 123")
    with pytest.raises(ValidationError, match=r"\['123'\]"):
        policy.full_clean()
    policy.authorised_receivers = "1234567893 1245319599"
    policy.full_clean()
