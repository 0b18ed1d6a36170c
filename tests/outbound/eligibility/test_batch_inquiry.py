"""A batch 270 of several thousand inquiries: one pass with set-based lookups, one 271 that
passes our guide, each person answered with their own data only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from outbound.eligibility import services
from outbound.models import EligibilityInquiry, ProcessingOutcome
from outbound.services.validation import guide_problems
from tests.outbound.eligibility.world import days
from tests.support.synthetic_270 import dependent, subscriber
from tests.support.synthetic_834 import member

pytestmark = pytest.mark.django_db

PEOPLE = 3000


def people():
    """Subscribers S00000.. with distinct names; every tenth has a child asked about."""
    out = []
    for n in range(PEOPLE):
        sid = f"S{n:05d}"
        cover = [{"line": "HLT", "plan": f"PLAN{n % 7}", "begin": days(-100)}]
        out.append(
            member(sid, last=f"LAST{n}", first=f"FIRST{n}", birth="19800101", coverages=cover)
        )
        if n % 10 == 0:
            out.append(
                member(
                    sid,
                    relationship="19",
                    last=f"LAST{n}",
                    first="KID",
                    birth="20100101",
                    coverages=cover,
                )
            )
    return out


def inquiries():
    out = []
    for n in range(PEOPLE):
        sid = f"S{n:05d}"
        if n % 10 == 0:
            out.append(
                subscriber(
                    sid,
                    last=f"LAST{n}",
                    first=f"FIRST{n}",
                    birth="",
                    service_types=[],
                    dependents=[
                        dependent(last=f"LAST{n}", first="KID", birth="20100101", trn=f"D{n}")
                    ],
                    trn=f"T{n}",
                )
            )
        elif n % 97 == 0:
            out.append(subscriber(f"X{n:05d}", last="NOBODY", first="NONE", trn=f"T{n}"))
        else:
            out.append(subscriber(sid, last=f"LAST{n}", first=f"FIRST{n}", trn=f"T{n}"))
    return out


def test_a_batch_270_of_thousands_is_answered_in_one_pass(world, monkeypatch):
    monkeypatch.setattr(services, "CHUNK", 700)  # several chunks, a partial one at the end
    world.enrol(*people())
    with CaptureQueriesContext(connection) as queries:
        result = world.ask(*inquiries())
    # lookups per chunk, not per inquiry: the whole ingest stays far below one per person
    assert len(queries) < 80, len(queries)
    outcome = ProcessingOutcome.objects.get(batch_id=result.batch, response_type="271")
    assert outcome.due_at - outcome.created_at == timedelta(minutes=2)
    answer = world.answer(result)
    assert guide_problems(answer.data) == []
    assert len(answer.all("ST")) == 1
    rows = EligibilityInquiry.objects.filter(batch_id=result.batch)
    assert rows.count() == PEOPLE
    unknown = sum(1 for n in range(PEOPLE) if n % 10 and n % 97 == 0)
    assert rows.filter(result="REJECTED").count() == unknown
    assert rows.filter(result="ACTIVE").count() == PEOPLE - unknown
    # Each answer names the person asked about: walk the 271 and compare every subscriber
    # and dependent name with the TRN the provider sent for it (an unknown person comes
    # back as sent, with its AAA).
    current, names = "", 0
    for seg in answer.segments:
        if seg.id == "TRN" and seg.get(1) == "2":
            current = seg.get(2)
        elif seg.id == "NM1" and seg.get(1) in ("IL", "03"):
            n = int(current[1:])
            names += 1
            if seg.get(1) == "03":
                assert (seg.get(3), seg.get(4)) == (f"LAST{n}", "KID")
            elif n % 10 and n % 97 == 0:
                assert (seg.get(3), seg.get(9)) == ("NOBODY", f"X{n:05d}")
            else:
                assert (seg.get(3), seg.get(4), seg.get(9)) == (
                    f"LAST{n}",
                    f"FIRST{n}",
                    f"S{n:05d}",
                )
    assert names == PEOPLE + PEOPLE // 10
