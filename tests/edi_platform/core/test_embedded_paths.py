"""The SQLite paths of the embedded default (``make run``), driven for real in child
processes: allocation (twice on one counter, a block exactly up to the maximum, exhaustion,
reset refusals), ingest (accepted, already received, duplicate ISA13, an 837), projection,
assembly of every answer, reversal, and the recovery of an abandoned batch."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.slow


def run_scenario(name: str, tmp_path) -> dict:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "DEBUG": "true",
        "DJANGO_SETTINGS_MODULE": "edi_platform.settings",
        "PYTHONPATH": str(REPO_ROOT),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "INBOUND_STORAGE_ROOT": str(tmp_path / "inbound"),
        "OUTBOUND_STORAGE_ROOT": str(tmp_path / "outbound"),
        "INBOUND_INBOX_DIR": str(tmp_path / "inbox"),
        "INBOUND_LEASE_SECONDS": "3",
    }
    if "MUTANT_UNDER_TEST" in os.environ:
        # a mutation run (scripts/mutation.py, slow pass): the child must run the mutant too
        env["MUTANT_UNDER_TEST"] = os.environ["MUTANT_UNDER_TEST"]
    code = (
        "import django; django.setup(); "
        f"from tests.support.sqlite_scenarios import main; main({name!r})"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(x for x in done.stdout.splitlines() if x.startswith("FACTS "))
    return json.loads(line[len("FACTS ") :])


def test_allocation_on_sqlite_never_issues_a_number_twice(tmp_path):
    facts = run_scenario("allocation", tmp_path)
    (isa1, gs1, st1), (isa2, gs2, st2) = facts["first"], facts["second"]
    assert (isa1, gs1, st1) == (1, 1, [1, 2])
    assert (isa2, gs2, st2) == (2, 2, [3, 4, 5])  # the next numbers, not the same ones again
    # one audit row per number: its place in the counter's series, who asked, for which file
    first_rows = [[t, n, n, "ISSUED", "system", "", 0] for t, n in (("GS", 1), ("ISA", 1))]
    first_rows += [["ST", n, n, "ISSUED", "system", "", 0] for n in (1, 2)]
    second_rows = [[t, 2, 2, "ISSUED", "ops", "second.x12", 0] for t in ("GS", "ISA")]
    second_rows += [["ST", n, n, "ISSUED", "ops", "second.x12", 0] for n in (3, 4, 5)]
    assert facts["audit"] == first_rows + second_rows
    # each taken from its own counter (not the other partner's, not the 271 ST counter)
    assert facts["counters"] == {
        "ISA/*": [2, 2, "second.x12", True],
        "GS/*": [2, 2, "second.x12", True],
        "ST/999": [5, 5, "second.x12", True],
        "ST/271": [7, 7, "", True],
    }
    # the gap report on SQLite: the failed file's numbers, the ISA13s taken without a trace
    assert facts["gaps"] == [
        ["GS", 2, 2, "documented", "MINOR", True, None],
        ["ISA", 2, 2, "documented", "MINOR", True, None],
        ["ISA", 3, 4, "unexplained", "MODERATE", True, True],
        ["ST", 2, 2, "documented", "MINOR", True, None],
    ]
    # a scope changed behind the cache: new per-transaction ISA/GS counters, the same ST one
    assert facts["rescoped"] == [1, 1, [6]]
    assert facts["block"] == [3, 4, 5] and facts["current"] == facts["max"] == 5
    # one past the maximum: refused by name, nothing allocated
    assert facts["exhausted"] == (
        "counter PARTNERA/*/ISA is exhausted: 0 number(s) left, 1 requested "
        "(reset or roll it over after coordinating with the partner)"
    )
    assert facts["audit_numbers"] == [1, 2, 3, 4, 5]  # each number issued exactly once
    assert facts["reset_below_refused"] is True  # current - 1 would re-issue the last number


def test_inbound_projection_assembly_and_reversal_on_sqlite(tmp_path):
    facts = run_scenario("inbound", tmp_path)
    assert facts["statuses"] == ["ACCEPTED", True, "DUPLICATE", "ACCEPTED"]
    # 4 files (the same bytes twice: one batch) + the reversal
    assert facts["batches"] == 5
    # the second 837's set routed again from committed rows: found, handed over, and its
    # 277CA not staged twice
    routed, headers = facts["rerouted"]
    assert routed == 1 and headers == [["ROUTED", headers[0][1]]]
    assert headers[0][1].startswith("277CA already staged (outcome ")
    assert facts["events"] > 0 and facts["members_before"] == 1
    assert facts["reversed"] == facts["events"] and facts["members_after_reversal"] == 0
    outcomes = facts["outcomes"]
    assert ["TA1", "ASSEMBLED"] in outcomes and ["999", "ASSEMBLED"] in outcomes
    assert all(status == "ASSEMBLED" for _, status in outcomes)
    # the TA1s (window 0) were assembled right after their commits, the two 999s in one
    # file, and the 837P's claims answered by a 277CA (the claim registry on SQLite)
    assert sorted(t for t, _ in facts["files"]) == ["277CA", "999", "TA1", "TA1", "TA1", "TA1"]
    # the 999 file and the 277CA file were left for the explicit assemble (the TA1s were not)
    assert {status for _, status in facts["files"]} == {"PERSISTED"} and facts["persisted"] == 2
    assert facts["unstamped"] == 0
    assert facts["assembly_threads"] == 1  # SQLite serialises writers: no thread pool


def test_an_abandoned_batch_is_recovered_on_sqlite(tmp_path):
    facts = run_scenario("recovery", tmp_path)
    assert facts["left"] == [-9, "RECEIVED", True] and facts["early"] == []
    assert facts["finished"] == [facts["batch"]]
    assert (facts["status"], facts["outcomes"], facts["lease"]) == ("ACCEPTED", 1, False)
