"""validate() keeps summaries, not segments: traced memory stays far below the file size.

The measurement runs in a fresh interpreter: tracemalloc counts every thread, and a test worker
that already ran database tests has connection-pool threads allocating in the background.
"""

from __future__ import annotations

import json
import subprocess
import sys

from .conftest import FIXTURES, REPO

MEASURE = r"""
import json, sys, tracemalloc
from pathlib import Path
from edi_platform.x12 import engine, validate
from edi_platform.x12 import reader as reader_module

reader_module.CHUNK_SIZE = 1 << 16
engine._guides_module = None  # envelope only: this is the engine's own memory
engine._guides_loaded = True
engine._guide_cache = {}
path = Path(sys.argv[1])
tracemalloc.start()
report = validate(path)
_, peak = tracemalloc.get_traced_memory()
tracemalloc.stop()
group = report.interchanges[0].groups[0]
print(json.dumps({"verdict": report.verdict, "received": group.received,
                  "segments": report.segment_count, "peak": peak}))
"""


def _big_834(sets: int) -> bytes:
    lines = (FIXTURES / "834.x12").read_text().splitlines(keepends=True)
    head, body, tail = lines[:2], lines[2:-2], lines[-2:]
    middle = "".join(body[1:-1])
    out = ["".join(head)]
    for n in range(1, sets + 1):
        out.append(f"ST*834*{n:09d}*005010X220A1~\n{middle}SE*14*{n:09d}~\n")
    out.append(tail[0].replace("GE*1*", f"GE*{sets}*") + tail[1])
    return "".join(out).encode()


def test_validating_a_large_file_holds_summaries_not_segments(tmp_path):
    path = tmp_path / "big.x12"
    sets = 3_000
    path.write_bytes(_big_834(sets))  # ~1 MB, 42,000 segments
    proc = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert (result["verdict"], result["received"], result["segments"]) == (
        "accepted",
        sets,
        42_004,
    )
    peak = result["peak"]
    # holding the segments would take well over 100 bytes each; a summary is ~200 bytes a set
    assert peak < 100 * result["segments"], peak
    assert peak < 300 * sets + 500_000, peak
