"""Benchmark: outbound assembly end to end on PostgreSQL (issue 7, target >= 2,000 outcomes/s).

Run on a throwaway PostgreSQL + Redis (started and stopped by the script wrapper):

    scripts/with-test-services.sh .venv/bin/python bench/outbound.py            # < 1 minute
    scripts/with-test-services.sh .venv/bin/python bench/outbound.py --outcomes 20000

What it does, all in one run:

1. migrates the database named by DATABASE_URL (the wrapper's fresh cluster) and creates
   ``--partners`` synthetic trading partners (default 20);
2. stages ``--outcomes`` PENDING 999 outcomes (default 10,000) spread over the partners, each a
   synthetic 999 content for one inbound group (one in ten with IK3/IK4 errors);
3. times ``outbound_assemble`` draining them: claim (skip_locked), control-number allocation
   (ISA13 + GS06 + ST02 block, audit rows), rendering, envelope validation, create-only atomic
   writes (fsync) to a temporary "outbound" storage, and the finishing transaction (file
   PERSISTED, numbers PERSISTED, outcomes ASSEMBLED, outbox message);
4. baseline in the same run: the original design, ONE transaction set per file (max batch
   size 1), on ``--baseline`` outcomes (default 200);
5. prints outcomes/s, files/s, the share of time per step, and the ratio batched / baseline;
6. the real-time shape (issue 21: every TA1 and every real-time 271/277 is a file of one
   transaction set, due at once): ``--realtime`` outcomes (default 2,000) each staged in a
   commit of its own and assembled right away by ``--realtime-clients`` threads (default 2,
   each with partners of its own), the way the real-time API answers; prints files/s and
   p50/p95/p99 of the time from the staging commit to the file persisted (the assembly call
   returned with its finishing transaction committed); then the same run by
   ``--realtime-processes`` client processes (default 2: the API's gunicorn workers are
   processes, and threads of one process share one interpreter lock), with the machine's
   busy CPU per file (every process, PostgreSQL included; from /proc/stat);
7. ``--profile N``: N more real-time files in this thread under cProfile (CPU by function)
   and the queries one file costs (Django's cursors; the allocation statement runs on a raw
   psycopg cursor and adds one more).

Nothing is asserted: the figures are printed for people to compare.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _setup(storage_root: str, *, migrate: bool = True) -> None:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("DATABASE_URL must point to PostgreSQL: run through scripts/with-test-services.sh")
    os.environ["OUTBOUND_STORAGE_ROOT"] = storage_root
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789-abcdefghijklmnopqrstu")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "edi_platform.settings")
    os.environ.pop("CELERY_BROKER_URL", None)  # publisher enqueue runs eagerly (no-op here)
    os.environ.pop("OUTBOUND_REDIS_URL", None)
    import django

    django.setup()
    import logging

    logging.disable(logging.WARNING)  # celery eager-task INFO lines would dominate the output
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)


def _content(n: int, with_errors: bool) -> dict:
    sets = [{"ak2": ["837", "0001", "005010X222A1"], "ik3": [], "ik5": ["A"]}]
    ak9 = ["A", 1, 1, 1]
    if with_errors:
        sets[0]["ik3"] = [
            {
                "segment_id": "DMG",
                "position": 16,
                "loop_id": "2010BA",
                "code": "8",
                "contexts": [],
                "elements": [
                    {
                        "position": 2,
                        "component": None,
                        "repetition": None,
                        "reference": "1251",
                        "code": "8",
                        "bad_value": "19801340",
                    }
                ],
            }
        ]
        sets[0]["ik5"] = ["R", "5"]
        ak9 = ["R", 1, 1, 0]
    return {
        "type": "999",
        "ak1": ["HC", str(n), "005010X222A1"],
        "sets": sets,
        "ak9": ak9,
    }


def _stage(partners, count: int, tag: str) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from outbound.models import ProcessingOutcome

    now = timezone.now() - timedelta(minutes=10)
    rows = [
        ProcessingOutcome(
            partner=partners[i % len(partners)],
            response_type="999",
            payload=_content(i + 1, with_errors=i % 10 == 0),
            dedupe_key=f"bench:{tag}:{i}",
            isa13=f"{i + 1:09d}",
            gs06=str(i + 1),
            created_at=now,
            due_at=now,
        )
        for i in range(count)
    ]
    ProcessingOutcome.objects.bulk_create(rows, batch_size=2000)


def _partners(count: int, prefix: str):
    from edi_platform.partners.models import TradingPartner

    return [
        TradingPartner.objects.create(
            code=f"{prefix}{i:03d}",
            name=f"Bench partner {i}",
            their_isa_qualifier="ZZ",
            their_isa_id=f"{prefix}S{i:03d}",
            our_isa_qualifier="ZZ",
            our_isa_id="EDIPLATFORM",
            their_gs_code=f"{prefix}S{i:03d}",
            our_gs_code="EDIPLATFORM",
            usage_indicator="P",
        )
        for i in range(count)
    ]


def _run(count: int, partners, tag: str, batch_size: int, threads: int = 1):
    from outbound.models import BatchWindow
    from outbound.services.assembly import outbound_assemble

    BatchWindow.objects.filter(response_type="999").update(
        max_batch_size=batch_size, window_minutes=5
    )
    _stage(partners, count, tag)
    started, cpu = time.perf_counter(), time.process_time()
    result = outbound_assemble(ignore_windows=True, threads=threads)
    elapsed = time.perf_counter() - started
    result.cpu_seconds = time.process_time() - cpu
    assert result.outcomes_assembled == count, result.summary()
    return result, elapsed


def _stage_one(partner, n: int, tag: str) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from outbound.models import ProcessingOutcome

    now = timezone.now() - timedelta(seconds=1)
    ProcessingOutcome.objects.create(
        partner=partner,
        response_type="999",
        payload=_content(n, with_errors=n % 10 == 0),
        dedupe_key=f"bench:{tag}:{n}",
        isa13=f"{n:09d}",
        gs06=str(n),
        created_at=now,
        due_at=now,
    )


def _answer_now(partner, n: int, tag: str) -> float:
    """Stage one outcome (its own commit) and assemble it at once; seconds from the staging
    commit to the file persisted."""
    from outbound.services.assembly import outbound_assemble

    _stage_one(partner, n, tag)
    started = time.perf_counter()
    result = outbound_assemble(
        partner_code=partner.code, response_type="999", ignore_windows=True, threads=1
    )
    elapsed = time.perf_counter() - started
    assert result.persisted == 1 and result.outcomes_assembled == 1, result.summary()
    return elapsed


def _due_now_999() -> None:
    """999 made a due-now type (window 0, like the TA1) of one set per file: assembly takes
    its real-time path, with the ISA + GS + ST envelope of a real-time 271/277."""
    from outbound.models import BatchWindow

    BatchWindow.objects.filter(response_type="999").update(max_batch_size=1, window_minutes=0)


def _realtime_run(count: int, partners, clients: int, tag: str):
    """``count`` one-set files answered as they come by ``clients`` threads; returns the
    latencies (seconds), the elapsed time and this process's CPU time."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    _due_now_999()

    def client(index: int) -> list[float]:
        mine = partners[index::clients]  # a thread's partners are its own: no stealing
        try:
            return [
                _answer_now(mine[k % len(mine)], n, tag)
                for k, n in enumerate(range(index, count, clients))
            ]
        finally:
            connections.close_all()

    started, cpu = time.perf_counter(), time.process_time()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        latencies = [x for part in pool.map(client, range(clients)) for x in part]
    return latencies, time.perf_counter() - started, time.process_time() - cpu


def _machine_busy() -> float:
    """Busy CPU seconds of the whole machine so far (Linux /proc/stat; steal excluded)."""
    with open("/proc/stat") as fh:
        user, nice, system, _idle, _iowait, irq, softirq = map(int, fh.readline().split()[1:8])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def _realtime_child(
    index: int,
    clients: int,
    count: int,
    partner_ids: list[int],
    tag: str,
    storage_root: str,
    barrier: Any,
    results: Any,
) -> None:
    """One client process of :func:`_realtime_processes` (spawned: its own interpreter)."""
    _setup(storage_root, migrate=False)
    from edi_platform.partners.models import TradingPartner

    partners = list(TradingPartner.objects.filter(pk__in=partner_ids).order_by("pk"))
    mine = partners[index::clients]
    barrier.wait()
    cpu = time.process_time()
    latencies = [
        _answer_now(mine[k % len(mine)], n, tag) for k, n in enumerate(range(index, count, clients))
    ]
    results.put((latencies, time.process_time() - cpu))


def _realtime_processes(count: int, partners, clients: int, tag: str, storage_root: str):
    """:func:`_realtime_run` by ``clients`` processes; returns the latencies, the elapsed time,
    the client processes' CPU and the machine's busy CPU over the run."""
    import multiprocessing

    from django.db import connections

    _due_now_999()
    connections.close_all()
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(clients + 1), ctx.Queue()
    ids = [p.pk for p in partners]
    children = [
        ctx.Process(
            target=_realtime_child,
            args=(i, clients, count, ids, tag, storage_root, barrier, results),
        )
        for i in range(clients)
    ]
    for child in children:
        child.start()
    barrier.wait()  # every child has set Django up: the clock starts now
    started, busy = time.perf_counter(), _machine_busy()
    parts = [results.get() for _ in children]
    elapsed, busy = time.perf_counter() - started, _machine_busy() - busy
    for child in children:
        child.join()
    latencies = [x for part, _ in parts for x in part]
    return latencies, elapsed, sum(cpu for _, cpu in parts), busy


def _realtime_report(
    label: str,
    count: int,
    latencies: list[float],
    seconds: float,
    cpu: float,
    busy: float | None = None,
) -> None:
    ms = {q: 1000 * _percentile(latencies, q) for q in (50, 95, 99)}
    print(
        f"real-time one-set files: {count:,} outcomes staged one per commit and answered at "
        f"once by {label}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    print(
        f"  files/s          {count / seconds:8.1f}   (target >= 300)\n"
        f"  commit-to-file   p50 {ms[50]:.1f} ms  p95 {ms[95]:.1f} ms  "
        f"p99 {ms[99]:.1f} ms   (target p95 < 100 ms)\n"
        f"  CPU per file     {1000 * cpu / count:8.2f} ms (the client process(es); staging the "
        "outcome included)"
    )
    if busy is not None:
        print(
            f"  machine CPU/file {1000 * busy / count:8.2f} ms (every process, PostgreSQL "
            f"included: {os.cpu_count()} CPUs allow {os.cpu_count() * count / busy:.0f} files/s)"
        )


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def _profile(count: int, partners) -> None:
    """CPU by function over ``count`` real-time files, and the queries of one file."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _due_now_999()
    with CaptureQueriesContext(connection) as queries:
        _answer_now(partners[0], 10_000_000, "prof-q")
    print(f"queries of one real-time file (Django cursors): {len(queries.captured_queries)}")
    for query in queries.captured_queries:
        print(f"    {query['time']:>6} s  {query['sql'][:150]}")
    profiler = cProfile.Profile(time.process_time)  # CPU, not waits
    profiler.enable()
    for n in range(count):
        _answer_now(partners[n % len(partners)], 10_000_001 + n, "prof")
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats("tottime")
    stats.print_stats(25)
    stats.sort_stats("cumulative").print_stats(45)
    print(f"cProfile over {count} real-time files (CPU of this thread):")
    print(out.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outcomes", type=int, default=10_000)
    parser.add_argument("--partners", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=100, help="BatchWindow max size")
    parser.add_argument("--baseline", type=int, default=200)
    parser.add_argument(
        "--threads", type=int, default=2, help="OUTBOUND_ASSEMBLY_THREADS (default 2)"
    )
    parser.add_argument(
        "--realtime", type=int, default=2_000, help="one-set files answered as they come"
    )
    parser.add_argument("--realtime-clients", type=int, default=2)
    parser.add_argument(
        "--realtime-processes",
        type=int,
        default=2,
        help="client processes of the second real-time run (0: skip it)",
    )
    parser.add_argument("--profile", type=int, default=0, help="N real-time files profiled")
    parser.add_argument(
        "--only-realtime", action="store_true", help="skip the batched and baseline runs"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-outbound-") as storage_root:
        _setup(storage_root)
        if args.realtime:
            latencies, rt_s, rt_cpu = _realtime_run(
                args.realtime, _partners(args.partners, "RT"), args.realtime_clients, "rt"
            )
            label = f"{args.realtime_clients} client thread(s) of one process"
            _realtime_report(label, args.realtime, latencies, rt_s, rt_cpu)
        if args.realtime and args.realtime_processes:
            latencies, rt_s, rt_cpu, busy = _realtime_processes(
                args.realtime,
                _partners(args.partners, "RTP"),
                args.realtime_processes,
                "rtp",
                storage_root,
            )
            label = f"{args.realtime_processes} client processes"
            _realtime_report(label, args.realtime, latencies, rt_s, rt_cpu, busy)
        if args.profile:
            _profile(args.profile, _partners(2, "PROF"))
        if args.only_realtime:
            return
        base, base_s = _run(args.baseline, _partners(args.partners, "BASE"), "base", 1)
        one, one_s = _run(
            args.outcomes, _partners(args.partners, "ONE"), "one", args.batch_size, threads=1
        )
        result, elapsed = _run(
            args.outcomes, _partners(args.partners, "MAIN"), "main", args.batch_size, args.threads
        )

        files = len(result.files)
        bytes_written = sum(p.stat().st_size for p in Path(storage_root).rglob("*.edi"))
        t = result.times
        steps = {
            "claim (skip_locked)": t.claim,
            "control-number allocation": t.allocation,
            "render": t.render,
            "validation (envelope)": t.validation,
            "storage (create-only write)": t.storage,
            "finish transaction": t.finish,
        }
        accounted = sum(steps.values()) or 1e-9
        load = os.getloadavg()[0]
        print(
            f"outbound assembly: {args.outcomes:,} pending 999 outcomes, {args.partners} "
            f"partners, max batch {args.batch_size}, {args.threads} thread(s), PostgreSQL; "
            f"load average {load:.1f} on {os.cpu_count()} CPUs"
        )
        print(
            f"  elapsed          {elapsed:8.2f} s (this process on CPU {result.cpu_seconds:.2f} s)"
        )
        print(f"  outcomes/s       {args.outcomes / elapsed:8.0f}   (target >= 2,000)")
        print(
            f"  files/s          {files / elapsed:8.1f}   "
            f"({files} files, {bytes_written / 1e6:.1f} MB)"
        )
        print("  share of step time (summed over threads):")
        for name, seconds in steps.items():
            print(f"    {name:<30} {seconds:7.2f} s  {100 * seconds / accounted:5.1f} %")
        print(
            f"same backlog, 1 thread: {args.outcomes / one_s:.0f} outcomes/s, "
            f"{len(one.files) / one_s:.1f} files/s (CPU {one.cpu_seconds:.2f} s)"
        )
        base_rate = args.baseline / base_s
        print(
            f"baseline (original design: one transaction set per file), {args.baseline:,} "
            f"outcomes: {base_rate:.0f} outcomes/s, {len(base.files) / base_s:.1f} files/s"
        )
        print(
            "ratio batched / one-set-per-file: "
            f"{args.outcomes / elapsed / base_rate:.1f}x outcomes/s"
        )


if __name__ == "__main__":
    main()
