"""Engine limits (issue 14 #4): reading stops with a clear reason, the interchange being read
is rejected (TA1 R 024), and stored findings are capped without changing a verdict."""

from __future__ import annotations

import pytest

from edi_platform.x12 import validate

from .conftest import FIXTURES

B834 = (FIXTURES / "834.x12").read_bytes()


def _interchanges(count: int) -> bytes:
    return b"".join(B834.replace(b"000000101", f"{n:09d}".encode()) for n in range(1, count + 1))


def _sets(count: int) -> bytes:
    lines = B834.decode().splitlines(keepends=True)
    body = "".join(lines[3:-3])
    sets = "".join(
        f"ST*834*{n:04d}*005010X220A1~\n{body}SE*14*{n:04d}~\n" for n in range(1, count + 1)
    )
    return (
        "".join(lines[:2]) + sets + lines[-2].replace("GE*1*", f"GE*{count}*") + lines[-1]
    ).encode()


def test_within_the_limits_nothing_changes():
    report = validate(_interchanges(3), max_interchanges=3, max_sets=3, max_file_bytes=10_000)
    assert (report.verdict, report.limit_exceeded) == ("accepted", None)


def test_more_interchanges_than_allowed_stop_with_the_reason():
    report = validate(_interchanges(5), max_interchanges=3)
    assert report.verdict == "rejected" and report.limit_exceeded == "max_interchanges"
    assert "more than 3 interchanges" in report.limit_message
    assert [ic.ta1_code for ic in report.interchanges] == ["A", "A", "A", "R"]
    assert report.interchanges[3].ta1_note == "024"  # the first one not read: a TA1 for it


def test_more_sets_than_allowed_reject_the_interchange_being_read():
    report = validate(_sets(10), max_sets=4)
    assert report.limit_exceeded == "max_sets" and report.verdict == "rejected"
    ic = report.interchanges[0]
    assert (ic.ta1_code, ic.ta1_note) == ("R", "024")
    assert len(ic.groups[0].sets) == 4


@pytest.mark.parametrize("limit", [50, 400, len(B834) - 10])
def test_a_file_larger_than_allowed_is_not_read_past_the_limit(limit):
    report = validate(_interchanges(2), max_file_bytes=limit)
    assert report.limit_exceeded == "max_file_bytes" and report.verdict == "rejected"
    assert report.bytes_read <= limit
    assert "larger than" in report.limit_message
    if report.interchanges:  # the ISA was read: a TA1 can say why
        assert report.interchanges[-1].ta1_code == "R"


def test_findings_are_capped_per_report_without_changing_verdicts():
    data = _sets(30).replace(b"DMG*D8*19800115*F", b"DMG*D8*19801340*F")
    full = validate(data)
    capped = validate(data, max_issues=10, max_issues_per_set=1)
    sets_full = full.interchanges[0].groups[0].sets
    sets_capped = capped.interchanges[0].groups[0].sets
    assert [s.ack_code for s in sets_capped] == [s.ack_code for s in sets_full] == ["R"] * 30
    assert sum(len(s.issues) for s in sets_capped) == 10
    assert capped.issues_dropped == sum(len(s.issues) for s in sets_full) - 10
    assert capped.to_dict()["issues_dropped"] == capped.issues_dropped
