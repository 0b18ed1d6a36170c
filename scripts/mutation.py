#!/usr/bin/env python3
"""Mutation testing of the core modules with mutmut, one module group at a time.

    scripts/with-test-services.sh .venv/bin/python scripts/mutation.py [GROUP ...]
    make mutation [GROUPS="x12 controlnumbers"]

Each group mutates only its own modules and runs only its related test files against them
(the throwaway PostgreSQL and Redis of scripts/with-test-services.sh; never part of
`make test`). A group works in its own copy of the tracked tree under var/mutation/<group>/,
so its mutmut state (mutants/, results) survives between runs and can be read there with
`mutmut results` / `mutmut show NAME`. One test process at a time, niced: the run is long.
The scores (killed / non-equivalent) are written to var/mutation/summary.json; the reviewed
survivors and the equivalent mutants are kept in docs/mutation.md.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "mutation"
PACKAGES = ["edi_platform", "controlnumbers", "eventstore", "outbound"]


@dataclass(frozen=True)
class Group:
    """Modules to mutate (globs relative to the root) and the tests that speak for them."""

    modules: tuple[str, ...]
    tests: tuple[str, ...]
    # Tests of seconds each (child processes killed mid-step): run only against the mutants
    # the main pass left alive, one pytest process per mutant (mutmut runs every covering
    # test of a survivor, so with these in the main pass each survivor cost ~35 s)
    slow_tests: tuple[str, ...] = ()
    # a pytest ``-k`` expression narrowing the slow tests to those about these modules
    slow_select: str = ""


GROUPS: dict[str, Group] = {
    # the X12 engine's envelope and acknowledgment code: pure, fast tests, no database
    "x12": Group(
        modules=(
            "edi_platform/x12/envelope.py",
            "edi_platform/x12/acks.py",
            "edi_platform/x12/ack_values.py",
        ),
        tests=(
            "tests/edi_platform/x12/test_envelope.py",
            "tests/edi_platform/x12/test_acks.py",
            "tests/edi_platform/x12/test_ack_values.py",
            "tests/edi_platform/x12/test_count_boundaries.py",
            "tests/edi_platform/x12/test_validate.py",
            "tests/edi_platform/x12/test_robustness.py",
            "tests/edi_platform/x12/test_structure_checks.py",
            "tests/edi_platform/x12/test_snip.py",
            "tests/edi_platform/x12/test_numbers.py",
            "tests/edi_platform/x12/test_conformance.py",
        ),
    ),
    # control-number allocation, reset/rollover and gap closing (remediation)
    "controlnumbers": Group(
        modules=(
            "controlnumbers/services/allocation.py",
            "controlnumbers/services/reset.py",
            "controlnumbers/services/remediation.py",
        ),
        tests=(
            "tests/controlnumbers/test_services.py",
            "tests/controlnumbers/test_reset.py",
            "tests/controlnumbers/test_gaps.py",
            "tests/controlnumbers/test_tasks.py",
            "tests/controlnumbers/test_models.py",
            "tests/controlnumbers/test_admin.py",
            "tests/controlnumbers/test_commands.py",
            "tests/outbound/test_close_gap.py",
        ),
        # the SQLite allocation (the embedded default) runs only in these child processes
        slow_tests=("tests/edi_platform/core/test_embedded_paths.py",),
    ),
    # ingest: the plan of a received file (partner, duplicate, verdicts) and routing
    "ingest": Group(
        modules=(
            "eventstore/inbound/services/plan.py",
            "eventstore/inbound/services/routing.py",
            "eventstore/inbound/services/route_status.py",
            "eventstore/inbound/services/bulk_routing.py",
        ),
        tests=(
            "tests/eventstore/inbound/test_plan.py",
            "tests/eventstore/inbound/test_ingest_service.py",
            "tests/eventstore/inbound/test_routing.py",
            "tests/eventstore/inbound/test_bulk_routing.py",
        ),
        # the SQLite branches of routing (the embedded default) and the crash points between
        # routed sets and chunks run only in these children
        slow_tests=(
            "tests/edi_platform/core/test_embedded_paths.py",
            "tests/eventstore/inbound/test_crash_safety.py",
        ),
        # (the inbound scenarios on SQLite, the kills during routing: ~1 minute a mutant)
        slow_select=(
            "inbound_projection or abandoned_batch_is_recovered_on_sqlite or during_routing "
            "or between_bulk_chunks"
        ),
    ),
    # projections, snapshots and reversal of the event ledger
    "ledger": Group(
        modules=(
            "eventstore/ledger/services/snapshots.py",
            "eventstore/ledger/services/reversal.py",
        ),
        tests=(
            "tests/eventstore/ledger/test_snapshots.py",
            "tests/eventstore/ledger/test_reversal.py",
            "tests/eventstore/ledger/test_projections.py",
        ),
    ),
    # outbound assembly and finishing, recovery and the outbox
    "outbound": Group(
        modules=(
            "outbound/services/assembly.py",
            "outbound/services/finishing.py",
            "outbound/services/outbox.py",
            "outbound/services/recovery.py",
        ),
        tests=(
            "tests/outbound/services/test_assembly.py",
            "tests/outbound/services/test_finishing.py",
            "tests/outbound/services/test_outbox.py",
            "tests/outbound/services/test_recovery.py",
            "tests/outbound/test_outcome_staging.py",
        ),
        slow_tests=(
            "tests/outbound/test_crash_safety.py",
            "tests/edi_platform/core/test_embedded_paths.py",
        ),
        # (the SQLite assembly scenario and the crash tests; not the allocation or inbound ones)
        slow_select="worker_killed or two_celery_workers or assembly_and_reversal",
    ),
    # control-number lifecycle (persisted, failed, reissue), alerts and gap detection
    "controlnumbers-more": Group(
        modules=(
            "controlnumbers/services/lifecycle.py",
            "controlnumbers/services/alerts.py",
            "controlnumbers/gaps.py",
        ),
        tests=(
            "tests/controlnumbers/test_services.py",
            "tests/controlnumbers/test_gaps.py",
            "tests/controlnumbers/test_tasks.py",
            "tests/controlnumbers/test_models.py",
            "tests/controlnumbers/test_admin.py",
            "tests/controlnumbers/test_commands.py",
        ),
        # the SQLite gap report (the embedded default) runs only in these child processes
        slow_tests=("tests/edi_platform/core/test_embedded_paths.py",),
    ),
    # the admin's permission checks
    "adminkit": Group(
        modules=("edi_platform/core/adminkit.py",),
        tests=(
            "tests/edi_platform/core/test_adminkit.py",
            "tests/edi_platform/core/test_adminkit_parts.py",
            "tests/test_admin_permissions.py",
        ),
    ),
}

# mutmut's result names, and which count as killed (a timeout is not: on shared cores it was
# as often the machine as the mutant; timeouts are re-checked like survivors)
KILLED = {"killed", "segfault", "caught by type check"}
STATUSES = (
    "killed",
    "survived",
    "no tests",
    "timeout",
    "suspicious",
    "skipped",
    "segfault",
    "caught by type check",
    "not checked",
    "check was interrupted by user",
)


def toml_list(values) -> str:
    return "[" + ", ".join(json.dumps(v) for v in values) + "]"


def prepare(name: str, group: Group) -> Path:
    """Copy the tracked tree (as it is now) to var/mutation/<name>/ with mutmut's config."""
    dest = WORK / name
    files = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.split(b"\0")
    for raw in filter(None, files):
        rel = raw.decode()
        src, dst = ROOT / rel, dest / rel
        if not src.is_file():
            continue
        if dst.exists() and dst.read_bytes() == src.read_bytes():
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst)
        # a changed source or test: its mutants (and the stats) are made again
        stale = dest / "mutants" / rel
        if stale.exists():
            stale.unlink()
    config = "\n".join(
        [
            "",
            "[tool.mutmut]",
            f"source_paths = {toml_list(PACKAGES)}",
            f"only_mutate = {toml_list(group.modules)}",
            f"pytest_add_cli_args_test_selection = {toml_list(group.tests)}",
            # no --reuse-db: it made mutmut's forked runs fail tests a fresh database passes
            # (false kills); each mutant's run creates its test database (~3 s), under a name
            # of its own (runs at once dropped each other's test_edi: tests/support/mutation_db)
            'pytest_add_cli_args = ["-p", "no:cacheprovider", "-q", "-p", '
            '"tests.support.mutation_db"]',
            'also_copy = ["templates", "manage.py", "scripts"]',
            # fork each mutant's run from a server that only collected the tests: forked from
            # mutmut's own process, a run inherits what the stats run left in memory (the AK2
            # memo of acks.py hid 20 mutants that a fresh process kills)
            'process_isolation = "forkserver"',
            # a mutant's run creates its test database (seconds of CPU that mutmut's estimate
            # of the tests' time leaves out): without slack, busy cores made false timeouts
            "timeout_constant = 10.0",
            "",
        ]
    )
    pyproject = dest / "pyproject.toml"
    pyproject.write_text((ROOT / "pyproject.toml").read_text() + config)
    return dest


def results(dest: Path, mutmut: str) -> dict[str, str]:
    out = subprocess.run(
        [mutmut, "results", "--all", "true"], cwd=dest, capture_output=True, text=True
    ).stdout
    found = {}
    for line in out.splitlines():
        m = re.match(r"\s*(\S+): (.+)$", line)
        if m and m.group(2) in STATUSES:
            found[m.group(1)] = m.group(2)
    # verdicts of the slow tests (their own pass), for mutants mutmut still has alive
    slow = _slow_verdicts(dest)
    for name, status in found.items():
        if status in ("survived", "timeout", "no tests") and slow.get(name) == "killed":
            found[name] = "killed"
        elif status == "no tests" and slow.get(name) == "survived":
            found[name] = "survived"  # the slow tests run it and it lived
    return found


def _slow_verdicts(dest: Path) -> dict[str, str]:
    path = dest / "slow-verdicts.json"
    return json.loads(path.read_text()) if path.exists() else {}


def slow_pass(
    dest: Path, group: Group, mutmut: str, children: int, only: list[str] | None = None
) -> None:
    """Run the group's slow tests against each mutant left alive (see ``Group.slow_tests``).

    A mutant is killed when pytest reports failed tests (exit code 1); an error of the run
    itself (exit codes 2-5) is recorded as such and not counted. Verdicts are kept in
    ``slow-verdicts.json`` and merged by :func:`results`; a mutant not killed is tried again
    by the next pass (a recheck after new tests)."""
    if not group.slow_tests:
        return
    verdicts = _slow_verdicts(dest)
    # results() already counts the slow kills: what is left alive is everything else; and
    # the mutants with "no tests" (code only the slow tests' child processes run, which
    # mutmut's in-process coverage cannot see) get their first verdict here
    # (not the ones reviewed as equivalent: no test can kill them)
    equivalent = equivalent_names()
    alive = sorted(
        n
        for n, s in results(dest, mutmut).items()
        if s in ("survived", "timeout", "no tests") and n not in equivalent and _matches(n, only)
    )
    print(f"== slow tests against {len(alive)} mutants left alive", flush=True)

    def one(name: str) -> tuple[str, str]:
        env = {**os.environ, "MUTANT_UNDER_TEST": name}
        pytest = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider"]
        run = subprocess.run(
            ["nice", "-n", "10", *pytest, "-p", "tests.support.mutation_db", *group.slow_tests]
            + (["-k", group.slow_select] if group.slow_select else []),
            cwd=dest / "mutants",
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=900,
        )
        code = run.returncode
        return name, "killed" if code == 1 else "survived" if code == 0 else f"error {code}"

    with ThreadPoolExecutor(max_workers=max(1, children)) as pool:
        for name, verdict in pool.map(one, alive):
            verdicts[name] = verdict
            print(f"   {verdict:10} {name}", flush=True)
            (dest / "slow-verdicts.json").write_text(json.dumps(verdicts, indent=1) + "\n")


def _matches(name: str, only: list[str] | None) -> bool:
    """Whether ``--only``'s globs (none: every mutant) take the mutant ``name``."""
    return not only or any(fnmatch.fnmatch(name, pattern) for pattern in only)


def template_database() -> str:
    """A migrated database that each mutant's run copies (see tests/support/mutation_db.py).

    Made again for every run, from the tracked tree's migrations (never mutated), so a run
    never starts from a database an older schema left behind."""
    import psycopg
    from psycopg import sql

    name = "edi_mutation_template"
    url = os.environ["DATABASE_URL"]
    base, _, _ = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    env = {**os.environ, "DATABASE_URL": f"{base}/{name}", "DATABASE_POOL": "false"}
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "--skip-checks", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    return name


def equivalent_names() -> set[str]:
    """Mutants listed as equivalent in docs/mutation.md (a line starting `- `name``)."""
    doc = ROOT / "docs" / "mutation.md"
    if not doc.exists():
        return set()
    return set(re.findall(r"^- `([^`]+)`", doc.read_text(), flags=re.M))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("groups", nargs="*", help=f"default: all of {', '.join(GROUPS)}")
    parser.add_argument(
        "--recheck",
        action="store_true",
        help="after new tests or code: run the mutants of changed functions, then try the "
        "survivors of earlier runs again",
    )
    parser.add_argument(
        "--report", action="store_true", help="run nothing: score what the groups hold"
    )
    parser.add_argument(
        "--only",
        nargs="+",
        metavar="GLOB",
        help="run only the mutants whose names match (mutmut's globs, e.g. "
        "'eventstore.inbound.services.routing.*'); the group's other verdicts are kept",
    )
    parser.add_argument(
        "--children",
        type=int,
        default=1,
        help="mutants run at once (default 1; each has its own test database)",
    )
    args = parser.parse_args()
    names = args.groups or list(GROUPS)
    unknown = [n for n in names if n not in GROUPS]
    if unknown:
        parser.error(f"unknown group(s) {unknown}; known: {', '.join(GROUPS)}")
    if not os.environ.get("DATABASE_URL") and not args.report:
        print("run me under scripts/with-test-services.sh (no DATABASE_URL)", file=sys.stderr)
        return 2
    mutmut = str(Path(sys.executable).parent / "mutmut")
    summary_path = WORK / "summary.json"
    summary = json.loads(summary_path.read_text()) if summary_path.exists() else {}
    equivalent = equivalent_names()
    if not args.report:
        # each mutant's run copies this database instead of creating and migrating its own
        os.environ["MUTATION_DB_TEMPLATE"] = template_database()
    for name in names:
        dest = WORK / name if args.report else prepare(name, GROUPS[name])
        print(f"== mutation group {name}: {', '.join(GROUPS[name].modules)}", flush=True)
        started = time.monotonic()
        run = ["nice", "-n", "10", mutmut, "run", "--max-children", str(args.children)]
        if args.report:
            pass
        elif args.recheck:
            alive = ("survived", "timeout")
            before = {n for n, s in results(dest, mutmut).items() if s in alive}
            # mutants of functions changed since the last run are new ("not checked"); the
            # rest of an interrupted run too (with --only: those it names)
            if not args.only:
                subprocess.run(run, cwd=dest, stdout=subprocess.DEVNULL)
            else:
                unchecked = sorted(
                    n
                    for n, s in results(dest, mutmut).items()
                    if s == "not checked" and _matches(n, args.only)
                )
                print(f"== {name}: {len(unchecked)} mutants not checked yet", flush=True)
                if unchecked:
                    subprocess.run(run + unchecked, cwd=dest, stdout=subprocess.DEVNULL)
            # mutmut keeps a verdict once given: the earlier survivors are only tried again
            # when named (those of the run just made met the current tests already)
            again = sorted(
                n
                for n, s in results(dest, mutmut).items()
                if s in alive and n in before and _matches(n, args.only)
            )
            print(f"== {name}: re-checking {len(again)} survivors", flush=True)
            if again:
                subprocess.run(run + again, cwd=dest, stdout=subprocess.DEVNULL)
        elif args.only:
            subprocess.run(run + args.only, cwd=dest)  # (with --recheck: above)
        else:
            subprocess.run(run, cwd=dest)
        if not args.report:
            slow_pass(dest, GROUPS[name], mutmut, args.children, args.only)
        seconds = round(time.monotonic() - started)
        found = results(dest, mutmut)
        counts = {s: sum(1 for v in found.values() if v == s) for s in STATUSES}
        eq = sorted(n for n, s in found.items() if s not in KILLED and n in equivalent)
        # not in the score: not run yet (time), or run only by tests in a child process,
        # which mutmut's in-process coverage cannot see ("no tests")
        unscored = {"not checked", "no tests", "check was interrupted by user"}
        killed = sum(1 for s in found.values() if s in KILLED)
        live = sorted(
            n
            for n, s in found.items()
            if s not in KILLED and s not in unscored and n not in equivalent
        )
        scored = killed + len(live)
        summary[name] = {
            "total": len(found),
            "killed": killed,
            "not_killed": len(live),
            "equivalent": len(eq),
            "not_run": counts["not checked"] + counts["check was interrupted by user"],
            "no_tests": counts["no tests"],
            "score": f"{killed}/{scored}",
            "percent": round(100 * killed / scored, 1) if scored else None,
            "seconds": summary.get(name, {}).get("seconds", 0) if args.report else seconds,
            "statuses": {k: v for k, v in counts.items() if v},
            "not_killed_names": live,
        }
        print(
            f"== {name}: {killed} killed of {scored} non-equivalent "
            f"({summary[name]['percent']} %), {len(eq)} equivalent, {len(found)} mutants "
            f"({summary[name]['not_run']} not run, {counts['no tests']} without in-process "
            f"tests), {seconds} s; not killed: {' '.join(live) or 'none'}",
            flush=True,
        )
        summary_path.parent.mkdir(parents=True, exist_ok=True)
        summary_path.write_text(json.dumps(summary, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
