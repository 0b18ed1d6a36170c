"""Set-based member lookups for eligibility: by id (whole families), by name and birth date,
and how far the projector is behind — a fixed number of queries for any number of keys."""

from __future__ import annotations

import datetime as dt

import pytest

from eventstore.ledger.lookup import (
    aggregates_changed_after,
    members_by_identifier,
    members_by_name,
    projection_freshness,
)
from eventstore.ledger.services.enrollment_834 import enrollment_834_apply
from eventstore.ledger.services.projections import project_pending
from tests.factories import TradingPartnerFactory
from tests.support.synthetic_834 import build_834, member, register_834

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def inbound_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "inbound": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "inbound")},
        },
    }


def enrol(*members, partner_code: str = "SPONSOR", isa13: int = 1, project: bool = True):
    partner = TradingPartnerFactory(code=partner_code)
    _batch, header = register_834(build_834(members, isa13=isa13), partner=partner)
    enrollment_834_apply(header=header)
    if project:
        project_pending()


def family(sid: str, last: str = "DOE"):
    return [
        member(sid, last=last, first="JANE", birth="19800101"),
        member(
            sid,
            relationship="19",
            member_ref=f"{sid}-02",
            last=last,
            first="JIM",
            birth="20100101",
            coverages=[{"line": "DEN", "plan": "SMILE", "begin": "20240101", "level": "CHD"}],
        ),
    ]


def test_an_id_finds_the_whole_family_and_a_member_reference_that_person():
    enrol(*family("S1"), *family("S2", last="ROE"))
    found = members_by_identifier(identifiers=["S1", "S2-02", "NOPE"])
    assert sorted(m.first_name for m in found["S1"]) == ["JANE", "JIM"]
    assert [m.last_name for m in found["S2-02"]] == ["ROE"]
    assert "NOPE" not in found
    kid = next(m for m in found["S1"] if not m.is_subscriber)
    assert kid.relationship == "19" and kid.birth_date == dt.date(2010, 1, 1)
    assert [(c.coverage_key, c.plan, c.coverage_level) for c in kid.coverages] == [
        ("DEN", "SMILE", "CHD")
    ]
    assert kid.coverages[0].active_on(dt.date(2024, 6, 1))
    assert not kid.coverages[0].active_on(dt.date(2023, 6, 1))


def test_members_of_other_834_senders_are_left_out_when_asked():
    enrol(*family("S1"), partner_code="SPONSOR")
    enrol(member("S1", last="ZED", first="ZOE"), partner_code="OTHER", isa13=2)
    everyone = members_by_identifier(identifiers=["S1"])
    ours = members_by_identifier(identifiers=["S1"], partner_codes=["SPONSOR"])
    assert len(everyone["S1"]) == 3
    assert {m.partner_code for m in ours["S1"]} == {"SPONSOR"}


def test_a_name_search_ignores_case_and_needs_the_birth_date():
    enrol(*family("S1"), *family("S2", last="ROE"))
    found = members_by_name(keys=[("doe ", dt.date(1980, 1, 1)), ("ROE", dt.date(1999, 1, 1))])
    assert [m.subscriber_id for m in found[("DOE", dt.date(1980, 1, 1))]] == ["S1"]
    assert ("ROE", dt.date(1999, 1, 1)) not in found


def test_lookups_cost_the_same_queries_for_one_key_or_hundreds(django_assert_num_queries):
    members = []
    for n in range(150):
        members += family(f"S{n:04d}")
    enrol(*members)
    ids = [f"S{n:04d}" for n in range(150)]
    with django_assert_num_queries(2):  # subscriber ids and member references, enrollments
        found = members_by_identifier(identifiers=ids)
    assert len(found) == 150
    with django_assert_num_queries(2):
        members_by_identifier(identifiers=ids[:1])
    with django_assert_num_queries(2):  # members, enrollments
        by_name = members_by_name(keys=[("DOE", dt.date(1980, 1, 1))])
    assert len(by_name[("DOE", dt.date(1980, 1, 1))]) == 150


def test_the_lag_and_the_members_not_projected_yet_are_known():
    enrol(*family("S1"))
    head, checkpoint = projection_freshness()
    assert head == checkpoint > 0
    assert aggregates_changed_after(position=checkpoint, limit=10) == set()
    enrol(member("S9", first="NEW"), isa13=2, project=False)
    head, checkpoint = projection_freshness()
    assert head - checkpoint == 2  # MemberAdded + EnrollmentAdded
    changed = aggregates_changed_after(position=checkpoint, limit=10)
    assert changed is not None and len(changed) == 1
    assert aggregates_changed_after(position=checkpoint, limit=1) is None
