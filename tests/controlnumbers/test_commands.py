"""Management commands: JSON outputs, exit status, idempotent seeding (same services)."""

from __future__ import annotations

import json
import uuid
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from controlnumbers.models import ControlNumberAudit, ControlNumberCounter
from controlnumbers.services import numbers_mark_failed
from tests.controlnumbers.helpers import envelope, lose_numbers

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def demo_partners():
    call_command("seed_demo", stdout=StringIO())


def _json(*args) -> object:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return json.loads(out.getvalue())


def test_issue_control_numbers_json():
    sets = _json(
        "issue_control_numbers",
        "--partner",
        "PARTNERA",
        "--transaction-type",
        "271",
        "--count",
        "3",
        "--format",
        "json",
    )
    assert [(s["isa13"], s["gs06"], s["st02"]) for s in sets] == [(1, 1, 1), (2, 2, 2), (3, 3, 3)]
    for s in sets:
        assert set(s) == {"isa13", "gs06", "st02", "outbound_file_id"}
        file_id = uuid.UUID(s["outbound_file_id"])
        assert ControlNumberAudit.objects.filter(outbound_file_id=file_id).count() == 3
    assert ControlNumberAudit.objects.first().actor.startswith("cli")


def test_issue_control_numbers_text_and_unknown_partner():
    out = StringIO()
    call_command(
        "issue_control_numbers", "--partner", "PARTNERB", "--transaction-type", "999", stdout=out
    )
    assert "ISA13 000000001" in out.getvalue()
    with pytest.raises(CommandError, match="NOPE"):
        call_command(
            "issue_control_numbers", "--partner", "NOPE", "--transaction-type", "999", stdout=out
        )


def test_detect_gaps_json_and_exit_status():
    envelope()
    failed = envelope()
    numbers_mark_failed(outbound_file_id=failed.outbound_file_id, reason="x")
    report = _json("detect_gaps", "--format", "json")  # documented only: exit 0
    assert [(g["kind"], g["counter_type"]) for g in report["gaps"]] == [
        ("documented", "GS"),
        ("documented", "ISA"),
        ("documented", "ST"),
    ]
    assert report["totals"]["unexplained"]["gaps"] == 0
    lose_numbers("ISA", 6)
    envelope()
    out = StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command("detect_gaps", "--counter-type", "ISA", "--format", "json", stdout=out)
    assert excinfo.value.returncode == 1
    gaps = json.loads(out.getvalue())["gaps"]
    assert {"kind": "unexplained", "severity": "CRITICAL", "size": 6}.items() <= gaps[1].items()


def test_detect_gaps_filters_table_and_csv():
    envelope("PARTNERA")
    lose_numbers("ISA", 1)
    envelope("PARTNERA")
    out = StringIO()
    call_command("detect_gaps", "--partner", "PARTNERB", stdout=out)
    assert "No gaps" in out.getvalue()
    out = StringIO()
    call_command("detect_gaps", "--partner", "PARTNERA", "--format", "csv", stdout=out)
    assert out.getvalue().splitlines()[1].startswith("PARTNERA,*,ISA,1,2,2,1,unexplained,MINOR")


def test_control_number_status_json(settings):
    envelope()
    ControlNumberCounter.objects.filter(counter_type="GS").update(current_value=900_000_000)
    rows = {r["counter_type"]: r for r in _json("control_number_status", "--format", "json")}
    assert rows["ISA"]["current_value"] == 1
    assert rows["ISA"]["allocations_last_hour"] == 1
    assert rows["ISA"]["level"] == "OK"
    assert rows["GS"]["level"] == "WARNING" and rows["GS"]["percent"] == pytest.approx(90.0, 0.01)
    assert rows["GS"]["remaining"] == 99_999_999
    settings.CONTROL_NUMBER_CRITICAL_PERCENT = 89
    rows = {r["counter_type"]: r for r in _json("control_number_status", "--format", "json")}
    assert rows["GS"]["level"] == "CRITICAL"


def test_reset_control_number_json_and_refusal():
    for _ in range(5):
        envelope()
    result = _json(
        "reset_control_number",
        "--partner",
        "PARTNERA",
        "--transaction-type",
        "271",  # partner-wide ISA counter: any transaction type names it
        "--counter-type",
        "ISA",
        "--value",
        "100",
        "--reason",
        "align with partner",
        "--format",
        "json",
    )
    assert result["counter"] == "PARTNERA/*/ISA"
    assert (result["value"], result["epoch"], result["next_number"]) == (100, 2, 101)
    with pytest.raises(CommandError, match="re-issue"):
        call_command(
            "reset_control_number",
            "--partner=PARTNERA",
            "--transaction-type=*",
            "--counter-type=ISA",
            "--value=0",
            "--reason=oops",
            stdout=StringIO(),
        )
    rolled = _json(
        "reset_control_number",
        "--partner=PARTNERA",
        "--transaction-type=*",
        "--counter-type=ISA",
        "--value=0",
        "--reason=agreed",
        "--rollover",
        "--format=json",
    )
    assert (rolled["value"], rolled["epoch"], rolled["rollover"]) == (0, 3, True)


def test_seed_control_numbers_maps_the_original_24_counters_onto_the_scope_rule():
    first = _json("seed_control_numbers", "--format", "json")
    # ISA + GS per partner (4 x 2) + ST per transaction type (4 + 2 + 2 + 2) = 18.
    assert first == {"counters": 18, "created": 18, "existing": 0, "skipped_partners": []}
    again = _json("seed_control_numbers", "--format", "json")
    assert again["created"] == 0 and again["existing"] == 18
    assert (
        ControlNumberCounter.objects.filter(partner_code="PARTNERA", counter_type="ST").count() == 4
    )
    assert ControlNumberCounter.objects.filter(transaction_type="*").count() == 8


def test_seed_control_numbers_keeps_per_transaction_counters_for_legacy_partners():
    from edi_platform.partners.models import TradingPartner

    TradingPartner.objects.filter(code="PARTNERB").update(control_number_scope="transaction")
    from controlnumbers.services import scope_cache_clear

    scope_cache_clear()
    result = _json("seed_control_numbers", "--format", "json")
    assert result["counters"] == 20  # PARTNERB: ISA/GS per 270 and 271 (4) instead of 2
    assert ControlNumberCounter.objects.filter(partner_code="PARTNERB").count() == 6


@pytest.mark.parametrize(
    ("used", "level"),
    [
        (89_999_999, "OK"),
        (90_000_000, "WARNING"),
        (94_999_999, "WARNING"),
        (95_000_000, "CRITICAL"),
    ],
)
def test_utilization_levels_change_exactly_at_their_thresholds(used, level):
    # a counter of max 100,000,000: 90,000,000 used is exactly 90 %, one less is below it
    envelope()
    ControlNumberCounter.objects.filter(counter_type="GS").update(
        max_value=100_000_000, current_value=used
    )
    rows = {r["counter_type"]: r for r in _json("control_number_status", "--format", "json")}
    assert rows["GS"]["level"] == level
