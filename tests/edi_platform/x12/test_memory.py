"""validate() keeps summaries, not segments: traced memory stays far below the file size."""

from __future__ import annotations

import tracemalloc

from edi_platform.x12 import engine, validate
from edi_platform.x12 import reader as reader_module

from .conftest import FIXTURES


def _big_834(sets: int) -> bytes:
    lines = (FIXTURES / "834.x12").read_text().splitlines(keepends=True)
    head, body, tail = lines[:2], lines[2:-2], lines[-2:]
    middle = "".join(body[1:-1])
    out = ["".join(head)]
    for n in range(1, sets + 1):
        out.append(f"ST*834*{n:09d}*005010X220A1~\n{middle}SE*14*{n:09d}~\n")
    out.append(tail[0].replace("GE*1*", f"GE*{sets}*") + tail[1])
    return "".join(out).encode()


def test_validating_a_large_file_holds_summaries_not_segments(monkeypatch, tmp_path):
    monkeypatch.setattr(reader_module, "CHUNK_SIZE", 1 << 16)
    monkeypatch.setattr(engine, "_guides_module", None)  # envelope only: this is our memory
    monkeypatch.setattr(engine, "_guides_loaded", True)
    monkeypatch.setattr(engine, "_guide_cache", {})
    path = tmp_path / "big.x12"
    sets = 3_000
    path.write_bytes(_big_834(sets))  # ~1 MB, 42,000 segments
    tracemalloc.start()
    try:
        report = validate(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    group = report.interchanges[0].groups[0]
    assert (report.verdict, group.received, report.segment_count) == ("accepted", sets, 42_004)
    # holding the segments would take well over 100 bytes each; a summary is ~200 bytes a set
    assert peak < 100 * report.segment_count, peak
    assert peak < 300 * sets + 500_000, peak
