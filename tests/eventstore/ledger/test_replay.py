"""replay_events: rebuild into shadow tables equals the incremental state, resumable."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from eventstore.ledger.services.enrollment_834 import enrollment_834_apply
from eventstore.ledger.services.projections import LIVE, project_pending, projection_rows
from eventstore.ledger.services.replay import replay_events
from eventstore.ledger.services.reversal import batch_reverse
from eventstore.models import (
    Enrollment,
    EnrollmentRebuild,
    Member,
    MemberRebuild,
    ProjectionCheckpoint,
)
from tests.factories import TradingPartnerFactory
from tests.support import synthetic_834 as synth

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "events"


@pytest.fixture(autouse=True)
def history(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "inbound": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    partner = TradingPartnerFactory(code="ACME")
    batches = []
    for name in ("834_add_family.edi", "834_change_address_plan.edi", "834_terminate_spouse.edi"):
        batch, header = synth.register_834((FIXTURES / name).read_bytes(), partner=partner)
        enrollment_834_apply(header=header)
        batches.append(batch)
    batch, header = synth.register_834(
        synth.build_834(synth.generated_members(40), isa13=300), partner=partner
    )
    enrollment_834_apply(header=header)
    project_pending(batch_size=13)
    batch_reverse(batch_id=batches[1].pk, reason="sent in error")
    project_pending(batch_size=13)
    return batches


def test_rebuild_equals_the_incrementally_maintained_state_row_for_row():
    incremental = projection_rows(LIVE)
    assert len(incremental[0]) == 43
    result = replay_events(batch_size=17)
    assert result.events == ProjectionCheckpoint.objects.get(name="members").position
    assert projection_rows(LIVE) == incremental
    assert MemberRebuild.objects.count() == 0


def test_interrupted_rebuild_resumes_and_leaves_live_tables_serving():
    incremental = projection_rows(LIVE)
    assert replay_events(batch_size=10, max_batches=3) is None
    assert projection_rows(LIVE) == incremental  # live rows untouched meanwhile
    assert MemberRebuild.objects.exists()
    result = replay_events(batch_size=10)
    assert result.resumed_from == 30
    assert projection_rows(LIVE) == incremental


def test_replay_command_reports_progress_and_can_restart():
    Member.objects.update(city="CORRUPTED")
    out = StringIO()
    call_command("replay_events", "--batch-size", "50", "--restart", stdout=out)
    text = out.getvalue()
    assert "position" in text and "swapped" in text
    assert not Member.objects.filter(city="CORRUPTED").exists()


def test_swap_removes_stray_live_rows_and_restores_missing_ones():
    incremental = projection_rows(LIVE)
    stray = Member.objects.first()
    Member.objects.create(
        **{
            f.attname: getattr(stray, f.attname)
            for f in Member._meta.concrete_fields
            if f.attname != "aggregate_id"
        },
        aggregate_id="not-in-the-log",
    )
    Enrollment.objects.filter(member_id=stray.aggregate_id).delete()
    Member.objects.filter(aggregate_id=Member.objects.order_by("-aggregate_id")[0].pk).delete()
    assert projection_rows(LIVE) != incremental
    replay_events(batch_size=25)
    assert projection_rows(LIVE) == incremental


def test_resumed_rebuild_starts_over_when_the_shadow_tables_were_emptied():
    incremental = projection_rows(LIVE)
    assert replay_events(batch_size=10, max_batches=3) is None
    # What a server crash does to the UNLOGGED shadow tables: rows gone, checkpoint kept.
    EnrollmentRebuild.objects.all().delete()
    MemberRebuild.objects.all().delete()
    result = replay_events(batch_size=10)
    assert result.resumed_from == 0
    assert projection_rows(LIVE) == incremental


def test_shadow_tables_are_unlogged_and_live_tables_logged():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, relpersistence FROM pg_class WHERE relname = ANY(%s)",
            [
                [
                    "eventstore_member",
                    "eventstore_enrollment",
                    "eventstore_memberrebuild",
                    "eventstore_enrollmentrebuild",
                ]
            ],
        )
        persistence = dict(cursor.fetchall())
    assert persistence == {
        "eventstore_member": "p",
        "eventstore_enrollment": "p",
        "eventstore_memberrebuild": "u",
        "eventstore_enrollmentrebuild": "u",
    }
