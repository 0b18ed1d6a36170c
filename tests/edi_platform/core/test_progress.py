"""Progress lines: printed on time by a background thread, even while the caller is busy."""

from __future__ import annotations

import time

from edi_platform.core.progress import ProgressTicker, format_seconds, rate_and_eta


def test_lines_come_every_interval_while_the_main_thread_is_blocked():
    lines: list[str] = []
    done = {"rows": 0}
    with ProgressTicker(render=lambda: f"{done['rows']} rows", write=lines.append, interval=0.05):
        done["rows"] = 10
        time.sleep(0.3)  # one long statement: no tick from the caller
    assert len(lines) >= 3 and lines[-1] == "10 rows"


def test_no_lines_when_turned_off_and_a_failing_writer_never_fails_the_work():
    lines: list[str] = []
    with ProgressTicker(render=lambda: "x", write=lines.append, interval=0) as ticker:
        ticker.tick_now()
    assert lines == []

    def broken(line: str) -> None:
        raise OSError("stderr closed")

    with ProgressTicker(render=lambda: "x", write=broken, interval=0.01) as ticker:
        ticker.tick_now()
        time.sleep(0.05)


def test_rate_eta_and_durations():
    assert rate_and_eta(done=50, total=200, elapsed=5) == (10.0, 15.0)
    assert rate_and_eta(done=0, total=200, elapsed=5) == (0.0, None)
    assert rate_and_eta(done=5, total=None, elapsed=1) == (5.0, None)
    assert [format_seconds(s) for s in (None, 42, 185, 3720)] == ["?", "42s", "3m05s", "1h02m"]
