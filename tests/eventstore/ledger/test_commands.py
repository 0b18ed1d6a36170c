"""projection_lag and member_history commands."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from eventstore.ledger.services.enrollment_834 import enrollment_834_apply
from eventstore.ledger.services.projections import project_pending
from tests.factories import TradingPartnerFactory
from tests.support import synthetic_834 as synth

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "events"


@pytest.fixture(autouse=True)
def family(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "inbound": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    partner = TradingPartnerFactory(code="ACME")
    for name in ("834_add_family.edi", "834_terminate_spouse.edi"):
        _, header = synth.register_834((FIXTURES / name).read_bytes(), partner=partner)
        enrollment_834_apply(header=header)


def test_projection_lag_json_shows_head_checkpoint_and_lag():
    out = StringIO()
    call_command("projection_lag", "--format", "json", stdout=out)
    (row,) = json.loads(out.getvalue())
    assert (row["projection"], row["head"], row["checkpoint"], row["lag"]) == ("members", 9, 0, 9)
    project_pending()
    out = StringIO()
    call_command("projection_lag", stdout=out)
    assert "lag 0" in out.getvalue()


def test_member_history_json_lists_each_family_member_with_file_context():
    project_pending()
    out = StringIO()
    call_command("member_history", "SUB0001", "--format", "json", stdout=out)
    members = json.loads(out.getvalue())
    assert len(members) == 3
    spouse = next(m for m in members if len(m["events"]) == 4)
    assert [e["event_type"] for e in spouse["events"]] == [
        "MemberAdded",
        "EnrollmentAdded",
        "EnrollmentTerminated",
        "MemberTerminated",
    ]
    assert spouse["events"][0]["file_name"] == "enrollment.834"
    assert spouse["events"][0]["st02"] == "0101"
    assert spouse["events"][2]["ins_position"] == 5


def test_member_history_unknown_subscriber_is_an_error():
    with pytest.raises(CommandError):
        call_command("member_history", "NOPE")
