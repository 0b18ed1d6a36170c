"""Our synthetic fixtures: one valid interchange per guide, judged end to end."""

from __future__ import annotations

import pytest

from edi_platform.x12 import validate
from edi_platform.x12.engine import guides_available

from .conftest import FIXTURES

GUIDES = {
    "834.x12": "005010X220A1",
    "837p.x12": "005010X222A1",
    "837i.x12": "005010X223A2",
    "837d.x12": "005010X224A2",
    "270.x12": "005010X279A1",
    "271.x12": "005010X279A1",
    "276.x12": "005010X212",
    "277.x12": "005010X212",
    "277ca.x12": "005010X214",
    "835.x12": "005010X221A1",
    "999.x12": "005010X231A1",
}


def test_there_is_a_fixture_for_every_guide():
    assert sorted(p.name for p in FIXTURES.glob("*.x12")) == sorted(GUIDES)


@pytest.mark.parametrize(("name", "version"), sorted(GUIDES.items()))
def test_valid_fixture_is_accepted_by_its_guide(name, version):
    report = validate(FIXTURES / name)
    assert report.verdict == "accepted", [
        i.message for ic in report.interchanges for g in ic.groups for s in g.sets for i in s.issues
    ]
    s = report.interchanges[0].groups[0].sets[0]
    assert s.guide == (version if guides_available() else None)
    assert s.guide_version_matched in ((True,) if guides_available() else (None,))
