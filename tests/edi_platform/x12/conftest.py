"""Shared helpers for the x12 engine tests (no Django: run with ``-p no:django``)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
FIXTURES = REPO / "tests" / "fixtures" / "x12"
MUTATIONS = FIXTURES / "mutations"
UNCHECKED = "unchecked_acks"


@pytest.fixture
def fixture_bytes():
    """Read a fixture file by name (e.g. ``"834.x12"`` or ``"mutations/ik5_4_se01_count.x12"``)."""

    def load(name: str) -> bytes:
        return (FIXTURES / name).read_bytes()

    return load


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        f"{UNCHECKED}: this test builds acknowledgments that need not pass validate_outbound",
    )


# -- every 999 and TA1 rendered in the test session passes our own guide (issue 13 #3) -------
#
# The renderers write every interchange through ``acks._join``; once the tests are collected
# it is wrapped to keep what it built, and every test's run (engine, ingest and outbound tests
# alike, however they imported the renderers; with or without xdist) ends by reading each
# 999/TA1 interchange it built back through validate_outbound: envelope + X231A1. A problem
# fails that test. Tests that build bad acks on purpose carry the ``unchecked_acks`` marker.

_built: list[bytes] = []
_checked = [0]


def _install_recorder() -> None:
    from edi_platform.x12 import acks

    if getattr(acks._join, "_records", False):
        return
    original = acks._join

    def recording_join(segments, envelope):
        data = original(segments, envelope)
        _built.append(data)
        return data

    recording_join._records = True  # type: ignore[attr-defined]
    acks._join = recording_join


def _checking(item: pytest.Item):
    run = item.runtest

    def runtest() -> None:
        from edi_platform.x12.outbound import validate_outbound

        del _built[:]
        run()
        built, _built[:] = list(_built), []
        for data in built:
            _checked[0] += 1
            problems = validate_outbound(data)
            assert problems == [], f"an ack built here fails validate_outbound: {problems}"

    return runtest


def pytest_collection_modifyitems(session, config, items):
    # a session-wide hook: it sees the items of every directory, not only this one's
    _install_recorder()
    for item in items:
        if not item.get_closest_marker(UNCHECKED):
            item.runtest = _checking(item)  # type: ignore[method-assign]


def pytest_terminal_summary(terminalreporter):
    if _checked[0]:
        terminalreporter.write_line(f"acks read back by validate_outbound: {_checked[0]}")
