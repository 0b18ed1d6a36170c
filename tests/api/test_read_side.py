"""The read side: members by subscriber id / member id with their coverage as of a date, a
member's events, active enrollments by partner and plan (cursor pages), claims and their
journey — from the projections and registries; each answer writes an access record; a
partner sees only its own members and claims."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from api.access import ApiAccessRecord
from eventstore.inbound.services.ingest import ingest_bytes
from outbound.models import Claim
from tests.api.conftest import days, enrol_jane, staff_token
from tests.outbound.eligibility.world import PROVIDER_SENDER
from tests.support.synthetic_834 import member
from tests.support.synthetic_837 import Provider, build_837

pytestmark = pytest.mark.django_db(transaction=True)


def _as_of(n: int) -> str:
    return (timezone.localdate() + dt.timedelta(days=n)).isoformat()


def test_a_member_is_found_by_subscriber_id_with_coverage_as_of_a_date(world, sponsor_api):
    enrol_jane(world)
    today = sponsor_api.get("/api/v1/members", {"subscriber_id": "S200"}).json()
    assert today["projection_lag_events"] == 0
    (ray,) = today["members"]
    assert ray["last_name"] == "ROE" and ray["coverages"][0]["plan"] == "SILVER"
    assert ray["coverages"][0]["active"] is False  # ended five days ago
    before = sponsor_api.get(
        "/api/v1/members", {"subscriber_id": "S200", "as_of": _as_of(-10)}
    ).json()
    assert before["members"][0]["coverages"][0]["active"] is True
    record = ApiAccessRecord.objects.filter(resource="member").first()
    assert record.resource_ids == [ray["aggregate_id"]]
    assert "S200" not in str(record.resource_ids) and record.partner_code == "SPONSOR"


def test_a_member_is_found_by_member_id(world, sponsor_api):
    world.enrol(member("S300", member_ref="M-300", last="POE", first="ANN"))
    body = sponsor_api.get("/api/v1/members", {"member_id": "M-300"}).json()
    assert [m["first_name"] for m in body["members"]] == ["ANN"]


def test_a_lookup_without_an_identifier_or_with_a_bad_date_is_400(world, sponsor_api):
    assert sponsor_api.get("/api/v1/members").status_code == 400
    response = sponsor_api.get("/api/v1/members", {"subscriber_id": "S1", "as_of": "31/12"})
    assert response.status_code == 400 and "as_of" in response.json()["detail"]
    assert not ApiAccessRecord.objects.exists()


def test_a_members_events_are_its_log_in_order(world, sponsor_api):
    enrol_jane(world)
    jane = sponsor_api.get("/api/v1/members", {"subscriber_id": "S100"}).json()["members"][0]
    events = sponsor_api.get(f"/api/v1/members/{jane['aggregate_id']}/events").json()
    assert events[0]["event_type"] == "MemberAdded"
    assert [e["version"] for e in events] == sorted(e["version"] for e in events)
    assert sponsor_api.get("/api/v1/members/unknown/events").status_code == 404


def test_active_enrollments_page_by_partner_and_plan(world, sponsor_api):
    enrol_jane(world)
    world.enrol(
        *[
            member(f"S9{i:02d}", coverages=[{"line": "HLT", "plan": "GOLD", "begin": days(-3)}])
            for i in range(5)
        ]
    )
    first = sponsor_api.get("/api/v1/enrollments/active", {"plan": "GOLD", "page_size": 4})
    body = first.json()
    assert len(body["results"]) == 4 and body["next"]
    rest = sponsor_api.get(body["next"]).json()
    ids = [r["subscriber_id"] for r in body["results"] + rest["results"]]
    assert sorted(ids) == sorted(["S100", *[f"S9{i:02d}" for i in range(5)]])
    silver = sponsor_api.get("/api/v1/enrollments/active", {"plan": "SILVER"}).json()
    assert silver["results"] == []  # ended
    old = sponsor_api.get(
        "/api/v1/enrollments/active", {"plan": "SILVER", "as_of": _as_of(-10)}
    ).json()
    assert [r["subscriber_id"] for r in old["results"]] == ["S200"]


def _claim(world) -> Claim:
    world.enrol(member("SUB0001"))
    data = build_837("P", [[Provider()]], isa13=900, sender=PROVIDER_SENDER)
    result = ingest_bytes(data=data, original_name="claims.837p")
    return Claim.objects.get(batch_id=result.batch)


def test_a_claim_and_its_journey(world, provider_api):
    claim = _claim(world)
    listed = provider_api.get("/api/v1/claims", {"patient_control_number": "PCN0001"}).json()
    assert [c["id"] for c in listed["results"]] == [claim.pk]
    body = provider_api.get(f"/api/v1/claims/{claim.pk}").json()
    assert body["status"] == claim.status
    assert [s["step"] for s in body["journey"]][:3] == ["received", "999", "277CA"]
    assert ApiAccessRecord.objects.filter(resource="claim").count() == 2


def test_a_partner_sees_only_its_own_members_and_claims(world, sponsor_api, other_api):
    enrol_jane(world)
    claim = _claim(world)
    jane = sponsor_api.get("/api/v1/members", {"subscriber_id": "S100"}).json()["members"][0]
    assert other_api.get("/api/v1/members", {"subscriber_id": "S100"}).json()["members"] == []
    assert other_api.get(f"/api/v1/members/{jane['aggregate_id']}/events").status_code == 404
    assert other_api.get("/api/v1/enrollments/active").json()["results"] == []
    assert (
        other_api.get("/api/v1/enrollments/active", {"partner": "SPONSOR"}).json()["results"] == []
    )
    assert other_api.get("/api/v1/claims").json()["results"] == []
    assert other_api.get(f"/api/v1/claims/{claim.pk}").status_code == 404
    # the sponsor did not submit the claim either
    assert sponsor_api.get(f"/api/v1/claims/{claim.pk}").status_code == 404


def test_staff_read_members_with_view_member_and_claims_with_view_claim(world, django_user_model):
    claim = _claim(world)
    members_only = staff_token(django_user_model, "eventstore.view_member", username="m")
    assert members_only.get("/api/v1/members", {"subscriber_id": "SUB0001"}).status_code == 200
    assert members_only.get(f"/api/v1/claims/{claim.pk}").status_code == 403
    both = staff_token(
        django_user_model, "eventstore.view_member", "outbound.view_claim", username="c"
    )
    assert both.get(f"/api/v1/claims/{claim.pk}").status_code == 200


def test_a_member_lookup_costs_four_queries_once_its_key_is_cached(
    world, sponsor_api, redis_api_cache, django_assert_max_num_queries
):
    """Members (subscriber ids and member references together), their enrollments, the
    projection's lag, the access record; the key check and the throttle go to Redis."""
    enrol_jane(world)
    for _ in range(2):  # the first use stamps the key, the second caches it
        sponsor_api.get("/api/v1/members", {"subscriber_id": "S100"})
    with django_assert_max_num_queries(4):
        response = sponsor_api.get("/api/v1/members", {"subscriber_id": "S100"})
    assert response.status_code == 200 and len(response.json()["members"]) == 1
