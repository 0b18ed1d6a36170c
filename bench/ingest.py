"""Benchmark: the inbound ingest service against the x12 engine alone, on the same files.

Run on a throwaway PostgreSQL (started and stopped by the script wrapper):

    scripts/with-test-services.sh .venv/bin/python bench/ingest.py            # about a minute
    scripts/with-test-services.sh .venv/bin/python bench/ingest.py --big-mb 8     # quicker

What it does, all in one run:

1. generates in a temporary directory (under /tmp) ``--small`` small synthetic 834 files (one
   transaction set each, distinct ISA13s) and one large synthetic 837P of ``--big-mb`` MB
   (many claims, one per transaction set);
2. migrates the database and onboards the synthetic sender;
3. measures, each in its own child process (so peak RSS is per phase): the engine alone
   (``x12.validate`` on each file) and the ingest service (``ingest_path``: hash, store the raw
   copy, register the batch, validate, stage the 999, record headers and status) on the same
   files; then ``--workers`` N (default: the CPU count) worker processes on another set of
   small files, as ``manage.py ingest --workers N`` runs them (worker start-up included);
4. prints files/s, segments/s, peak RSS, commits and statements per file and the ratio
   ingest / engine (the cost of registering). Targets: >= 200 small files/s in one process
   (issue 5), >= 300 with ``--workers 2`` on a quiet machine (issue 21), bounded memory on the
   large file, registering adds <= 30 % over the engine alone.

Nothing is asserted: the figures are printed for people to compare. Commits per file are
PostgreSQL's own count (every process); statements per file are counted in the one-process
run. ``BENCH_PROFILE=ingest`` (or ``engine``, ``ingest-workers-2``) profiles that phase with
cProfile into ``/tmp/bench-ingest-<phase>-<pid>.prof``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = REPO_ROOT / "tests" / "fixtures" / "inbound"
SENDER = "SYNTHSENDER"


# -- file generation ---------------------------------------------------------------------------


def _split(fixture: str) -> tuple[str, str, str]:
    """(ISA + GS lines, transaction set text, GE/IEA lines) of a one-set fixture."""
    text = (FIXTURES / fixture).read_text()
    st = text.index("ST*")
    ge = text.index("GE*")
    return text[:st], text[st:ge], text[ge:]


def _with_isa13(envelope: str, isa13: int) -> str:
    isa, rest = envelope.split("\n", 1)
    parts = isa.split("*")
    parts[13] = f"{isa13:09d}"
    return "*".join(parts) + "\n" + rest


def generate_small(
    folder: Path, count: int, base: int, nonce: str, prefix: str = "small"
) -> list[Path]:
    """``count`` valid one-set 834 files with distinct ISA13 and content."""
    head, body, _ = _split("834_valid.x12")
    paths = []
    for n in range(count):
        isa13 = base + n
        text = (
            _with_isa13(head, isa13)
            + body.replace("REF0001", f"R{nonce}{n:06d}"[:30])
            + f"GE*1*1~\nIEA*1*{isa13:09d}~\n"
        )
        path = folder / f"{prefix}_{n:05d}.x12"
        path.write_text(text)
        paths.append(path)
    return paths


def generate_big(path: Path, megabytes: int, isa13: int, nonce: str) -> int:
    """A valid 837P of about ``megabytes`` MB: one claim per transaction set. Returns sets."""
    head, body, _ = _split("837p_valid.x12")
    target = megabytes * 1024 * 1024
    n = size = 0
    with path.open("w") as out:
        out.write(_with_isa13(head, isa13))
        while size < target:
            n += 1
            text = body.replace("*0001", f"*{n:09d}").replace("SYNTHCLM1", f"C{nonce}{n}"[:38])
            out.write(text)
            size += len(text)
        out.write(f"GE*{n}*1~\nIEA*1*{isa13:09d}~\n")
    return n


# -- phases (each in a child process) -----------------------------------------------------------


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "edi_platform.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789-abcdefghijklmnop")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(REPO_ROOT))
    import django

    django.setup()


def migrate_and_onboard() -> None:
    """Migrate the database (Django set up) and onboard the synthetic sender (idempotent)."""
    from django.core.management import call_command

    from edi_platform.partners.models import TradingPartner

    call_command("migrate", verbosity=0)
    TradingPartner.objects.get_or_create(
        code="BENCH",
        defaults=dict(
            name="Bench sender",
            their_isa_qualifier="ZZ",
            their_isa_id=SENDER,
            our_isa_qualifier="ZZ",
            our_isa_id="EDIPLATFORM",
            their_gs_code=SENDER,
            our_gs_code="EDIPLATFORM",
            usage_indicator="P",
        ),
    )


def phase(name: str, files: list[str]) -> dict:
    """Run one measured phase in this process; returns its figures."""
    _django()
    from edi_platform import x12
    from eventstore.inbound.services.ingest import ingest_path

    paths = [Path(f) for f in files]
    per_file: dict[str, float | None] = {"commits": None, "statements": None}
    segments = 0
    bad = 0
    if name == "engine":
        x12.validate(FIXTURES / "834_valid.x12")  # warm-up: guide compilation, imports
        x12.validate(FIXTURES / "837p_valid.x12")
        started = time.perf_counter()
        cpu = time.process_time()
        for path in paths:
            report = x12.validate(path)
            segments += report.segment_count
            bad += report.verdict != "accepted"
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu
    else:
        x12.validate(FIXTURES / "834_valid.x12")
        x12.validate(FIXTURES / "837p_valid.x12")
        import psycopg

        from eventstore.models import TransactionBatch

        commits = _commits()
        statements = [0]
        execute = psycopg.Cursor.execute

        def counted(self, *args, **kwargs):  # Django's cursors and the hot ones alike
            statements[0] += 1
            return execute(self, *args, **kwargs)

        profiler = None
        if os.environ.get("BENCH_PROFILE") == name:  # e.g. BENCH_PROFILE=ingest: where time goes
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        started = time.perf_counter()
        cpu = time.process_time()
        if name == "ingest":
            psycopg.Cursor.execute = counted
            for path in paths:
                result = ingest_path(path=path, channel="command")
                bad += result.status != "ACCEPTED" or result.already_received
            psycopg.Cursor.execute = execute
        else:  # "ingest-workers-N": what ``manage.py ingest --workers N`` runs (start-up included)
            from eventstore.inbound.services.ingest_many import ingest_paths

            workers = int(name.rsplit("-", 1)[1])
            for outcome in ingest_paths(paths=paths, channel="command", workers=workers):
                r = outcome.result
                bad += r is None or r.status != "ACCEPTED" or r.already_received
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(f"/tmp/bench-ingest-{name}-{os.getpid()}.prof")
        # every process's commits (the workers' too), from PostgreSQL's own counter
        per_file["commits"] = (_commits() - commits) / len(paths)
        per_file["statements"] = statements[0] / len(paths) if name == "ingest" else None
        segments = sum(
            TransactionBatch.objects.filter(original_name__in=[p.name for p in paths]).values_list(
                "segment_count", flat=True
            )
        )
    return {
        "phase": name,
        "files": len(paths),
        "bytes": sum(p.stat().st_size for p in paths),
        "segments": segments,
        "seconds": seconds,
        "cpu_seconds": cpu,
        "not_accepted": bad,
        "commits_per_file": per_file["commits"],
        "statements_per_file": per_file["statements"],
        # the largest of this process and its worker processes (each has its own memory)
        "peak_rss_mb": max(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
        )
        / 1024,
    }


def _commits() -> int:
    """Transactions committed in this database so far (all backends; the statistics are
    read in a fresh snapshot)."""
    from django.db import connection

    with connection.cursor() as cursor:
        # this backend's own counts are flushed at the end of the next statement; the
        # workers' ones when they exit
        cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"
        )
        return int(cursor.fetchone()[0])


def run_child(name: str, files: list[Path]) -> dict:
    listing = Path(tempfile.mkstemp(suffix=".json", dir=files[0].parent)[1])
    listing.write_text(json.dumps([str(f) for f in files]))
    out = subprocess.run(
        [sys.executable, __file__, "--phase", name, "--files", str(listing)],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
    )
    if out.returncode:
        sys.exit(f"phase {name} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _line(label: str, r: dict) -> str:
    return (
        f"  {label:<18} {r['files']:>5} files {r['seconds']:7.2f} s "
        f"(cpu {r['cpu_seconds']:6.2f} s) "
        f"{r['files'] / r['seconds']:9.1f} files/s  {r['segments'] / r['seconds']:10.0f} seg/s  "
        f"{r['bytes'] / r['seconds'] / 1e6:7.2f} MB/s  peak RSS {r['peak_rss_mb']:7.1f} MB"
        + (f"  ({r['not_accepted']} not accepted!)" if r["not_accepted"] else "")
        + (
            f"\n  {'':<18} per file: {r['commits_per_file']:.2f} commits"
            if r.get("commits_per_file") is not None
            else ""
        )
        + (
            f", {r['statements_per_file']:.1f} statements"
            if r.get("statements_per_file") is not None
            else ""
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=1000, help="number of small files")
    parser.add_argument("--big-mb", type=int, default=100, help="size of the large 837 (MB)")
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 2,
        help="also ingest another set of small files with `ingest --workers N` (0: skip)",
    )
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--files", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.phase:
        files = json.loads(Path(args.files).read_text())
        print(json.dumps(phase(args.phase, files)))
        return

    if "DATABASE_URL" not in os.environ:
        sys.exit("Set DATABASE_URL (run through scripts/with-test-services.sh, see the docstring)")
    _django()
    migrate_and_onboard()
    work = Path(tempfile.mkdtemp(prefix="edi-bench-ingest-"))
    os.environ.setdefault("INBOUND_STORAGE_ROOT", str(work / "storage"))
    nonce = f"{random.randrange(36**6):06d}"
    base = random.randrange(1, 900_000_000)
    started = time.perf_counter()
    small = generate_small(work, args.small, base, nonce)
    big = work / "big.837"
    sets = generate_big(big, args.big_mb, base + args.small + 1, nonce)
    # the parallel run needs files not received yet: same content shape, other ISA13s
    parallel = generate_small(work, args.small, base + args.small + 2, nonce + "p", "parallel")
    # write the generated files back now: otherwise the kernel flushes them (100 MB with
    # --big-mb 100) during the first measured phase, whose own fsyncs then wait behind them
    os.sync()
    print(
        f"generated {len(small)} small 834 files and one {big.stat().st_size / 1e6:.1f} MB 837P "
        f"({sets} sets) in {time.perf_counter() - started:.1f} s under {work}"
    )

    results = {}
    for kind, files in (("small", small), ("big", [big])):
        for name in ("engine", "ingest"):
            results[(kind, name)] = run_child(name, files)
    if args.workers > 0:
        results[("small", "parallel")] = run_child(f"ingest-workers-{args.workers}", parallel)

    print("\nsmall files (one 834 set each):")
    print(_line("x12 engine alone", results[("small", "engine")]))
    print(_line("ingest service", results[("small", "ingest")]))
    if ("small", "parallel") in results:
        print(_line(f"ingest {args.workers} workers", results[("small", "parallel")]))
    print(f"\nlarge 837P ({args.big_mb} MB, {sets} sets):")
    print(_line("x12 engine alone", results[("big", "engine")]))
    print(_line("ingest service", results[("big", "ingest")]))
    print("\nratio ingest / engine (time on the same files; 1.30 = registering adds 30 %):")
    for kind in ("small", "big"):
        e, i = results[(kind, "engine")], results[(kind, "ingest")]
        print(f"  {kind:<6} {i['seconds'] / e['seconds']:.2f}")
    if ("small", "parallel") in results:
        e, i = results[("small", "engine")], results[("small", "parallel")]
        print(
            f"  small, {args.workers} workers {i['seconds'] / e['seconds']:.2f} "
            "(against the engine in one process)"
        )
    print(
        "  (wall-clock; 'cpu' is this process only — the ingest phase also waits on PostgreSQL,"
        " and on a shared machine on other processes)"
    )
    small_rate = results[("small", "ingest")]["files"] / results[("small", "ingest")]["seconds"]
    engine = results[("small", "engine")]
    line = f"\nsmall files/s through ingest: {small_rate:.0f} (1 process)"
    if ("small", "parallel") in results:
        r = results[("small", "parallel")]
        line += f", {r['files'] / r['seconds']:.0f} ({args.workers} workers; target >= 300 with 2)"
    print(line + f"; the engine alone, the floor: {engine['files'] / engine['seconds']:.0f}")


if __name__ == "__main__":
    main()
