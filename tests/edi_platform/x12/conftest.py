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
