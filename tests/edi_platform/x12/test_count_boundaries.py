"""SE01 and GE01 are checked on both sides of the true count: one short, exact, one over."""

from __future__ import annotations

import re

import pytest

from edi_platform.x12 import validate
from tests.edi_platform.x12.conftest import FIXTURES

ORIGINAL = (FIXTURES / "834.x12").read_bytes()
SE = re.search(rb"SE\*(\d+)\*0001~", ORIGINAL)
TRUE_COUNT = int(SE.group(1))


def _with_se01(value: int) -> bytes:
    return ORIGINAL.replace(SE.group(0), b"SE*%d*0001~" % value)


@pytest.mark.parametrize(
    ("delta", "ack", "codes"), [(-1, "R", ["4"]), (0, "A", []), (1, "R", ["4"])]
)
def test_se01_must_equal_the_segment_count_exactly(delta, ack, codes):
    (set_report,) = validate(_with_se01(TRUE_COUNT + delta)).interchanges[0].groups[0].sets
    assert (set_report.ack_code, list(set_report.codes)) == (ack, codes)


@pytest.mark.parametrize(("ge01", "ack"), [(b"0", "R"), (b"1", "A"), (b"2", "R")])
def test_ge01_must_equal_the_number_of_sets_exactly(ge01, ack):
    data = re.sub(rb"GE\*1\*", b"GE*" + ge01 + b"*", ORIGINAL)
    (group,) = validate(data).interchanges[0].groups
    assert group.ack_code == ack
    if ack == "R":
        assert "5" in group.codes  # AK905 5: the number of included sets does not match
