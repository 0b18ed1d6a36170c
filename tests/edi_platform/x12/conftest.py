"""Shared helpers for the x12 engine tests (no Django: run with ``-p no:django``)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
FIXTURES = REPO / "tests" / "fixtures" / "x12"
MUTATIONS = FIXTURES / "mutations"


@pytest.fixture
def fixture_bytes():
    """Read a fixture file by name (e.g. ``"834.x12"`` or ``"mutations/ik5_4_se01_count.x12"``)."""

    def load(name: str) -> bytes:
        return (FIXTURES / name).read_bytes()

    return load


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "unchecked_acks: this test builds acknowledgments that need not pass validate_outbound",
    )


@pytest.fixture(autouse=True)
def every_ack_passes_our_own_guide(request, monkeypatch):
    """Every 999 and TA1 interchange an engine test renders must pass validate_outbound
    (envelope + our own X231A1 guide): the acks we build are checked where they are built,
    not only in the tests written about them (issue 13 #3)."""
    from edi_platform.x12 import acks
    from edi_platform.x12.outbound import validate_outbound

    if request.node.get_closest_marker("unchecked_acks"):
        yield
        return
    built: list[bytes] = []
    original = acks._join

    def recording_join(segments, envelope):
        data = original(segments, envelope)
        built.append(data)
        return data

    monkeypatch.setattr(acks, "_join", recording_join)
    yield
    monkeypatch.setattr(acks, "_join", original)
    for data in built:
        problems = validate_outbound(data)
        assert problems == [], (problems, data[:400])
