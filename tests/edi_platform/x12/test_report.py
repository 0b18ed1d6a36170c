"""Report containers: compact per-set summaries behave like a list of SetReport."""

from __future__ import annotations

import pytest

from edi_platform.x12.issues import SegmentIssue
from edi_platform.x12.report import SetList, SetReport


def _rep(st02: str, code: str = "A", *, issues=()) -> SetReport:
    rep = SetReport("834", st02, "005010X220A1", 10, 200)
    rep.segment_count = 14
    rep.ack_code = code
    rep.guide, rep.guide_version_matched = "005010X220A1", True
    if code != "A":
        rep.codes = ["5"]
        rep.issues = list(issues)
    return rep


def test_clean_and_flagged_sets_come_back_unchanged_in_order():
    items = [
        _rep("0001"),
        _rep("0002", "R", issues=[SegmentIssue("DMG", 11, None, "8")]),
        _rep("0003"),
        _rep("0004", "E"),
    ]
    sets = SetList(items)
    assert len(sets) == 4
    assert [s.to_dict() for s in sets] == [s.to_dict() for s in items]
    assert sets[1] is items[1]  # flagged sets keep their full report
    assert sets[-1].control_number == "0004"
    assert [s.control_number for s in sets[1:3]] == ["0002", "0003"]
    assert (sets.rejected, sets.errors) == (1, 1)


def test_index_out_of_range_raises_index_error():
    with pytest.raises(IndexError):
        SetList([_rep("0001")])[1]


def test_control_numbers_ids_and_flagged_read_without_building_every_report():
    items = [
        _rep("0001"),
        _rep("0002", "R", issues=[SegmentIssue("DMG", 11, None, "8")]),
        _rep("0003"),
        _rep("0004", "E"),
    ]
    items[2].id = "837"
    sets = SetList(items)
    assert sets.control_numbers() == ["0001", "0002", "0003", "0004"]
    assert sets.ids() == {"834", "837"}
    assert sets.flagged() == [items[1], items[3]]
    assert SetList().control_numbers() == [] and SetList().flagged() == []
