"""Eligibility benchmark (issue 15): 270 in -> 271 persisted, real time and batch, on PostgreSQL.

Run against the throwaway PostgreSQL (fsync on for honest figures)::

    TEST_PG_FSYNC=on scripts/with-test-services.sh .venv/bin/python bench/eligibility.py
    ... bench/eligibility.py --members 100000 --realtime 1000 --batch 10000

What it does, in one run, on a database of its own:

1. enrols ``--members`` generated people (default 100,000) through the ingest service (one
   834, projected);
2. real time: ``--realtime`` single-inquiry 270 files (default 1,000), ingested one after
   another; for each, the latency from the ingest call to its 271 file PERSISTED. Celery is
   eager here, so the on-commit assembly (the 999, then the 271) runs inline before the call
   returns: the figure is the platform's own work, without a broker hop or a worker's queue;
3. batch: one 270 with ``--batch`` inquiries (default 10,000): ingest (validation, routing,
   lookups, 271 segments, inquiry rows) + assembly of its 271 (render, X279A1 guide and
   envelope validation, storage) -> inquiries/s, and the process's peak memory (``--heap``:
   the Python heap peak too, traced, which slows that step down);
4. the floor, in the same run: the bare projection lookups for the same inquiries
   (``eventstore.ledger.lookup``: one id at a time for real time, in chunks for the batch).

Figures are printed, never asserted; the ratios are ours / the floor.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _own_db import own_database  # noqa: E402  (bench/ is the script's folder)

DB = own_database("elig")
BENCH_DB, STORAGE = DB.name, DB.storage

import django  # noqa: E402

django.setup()

import logging  # noqa: E402

logging.disable(logging.WARNING)

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from eventstore.inbound.services.ingest import ingest_bytes  # noqa: E402
from eventstore.ledger.lookup import members_by_identifier  # noqa: E402
from eventstore.ledger.services.projections import project_pending  # noqa: E402
from eventstore.models import Member  # noqa: E402
from outbound.models import EligibilityInquiry, OutboundFileStatus, ProcessingOutcome  # noqa: E402
from outbound.services.assembly import outbound_assemble  # noqa: E402
from tests.factories import TradingPartnerFactory  # noqa: E402
from tests.support import synthetic_270 as s270  # noqa: E402
from tests.support import synthetic_834 as s834  # noqa: E402


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def asked(people: list[dict], n: int) -> dict:
    p = people[n]
    return s270.subscriber(
        p["subscriber_id"], last=p["last"], first=p["first"], birth=p["birth"], trn=f"T{n}"
    )


_answer_seconds = [0.0]


def _timed_answer() -> None:
    """Time the 271 handler's own work (inside the ingest call) for the breakdown."""
    from outbound.responders import r271

    original = r271.eligibility_270_answer

    def timed(**kwargs):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return original(**kwargs)
        finally:
            _answer_seconds[0] += time.perf_counter() - started

    r271.eligibility_270_answer = timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--realtime", type=int, default=1_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument(
        "--heap",
        action="store_true",
        help="trace Python allocations during the batch (its peak; slows the batch down)",
    )
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    with connection.cursor() as c:
        c.execute("SHOW fsync")
        fsync = c.fetchone()[0]
    print(f"PostgreSQL {connection.pg_version // 10000}, fsync={fsync}, database {BENCH_DB}")
    TradingPartnerFactory(
        code="SPONSOR", their_isa_id="SENDER", their_gs_code="SENDER", our_isa_id="EDIPLATFORM"
    )
    TradingPartnerFactory(
        code="PROV01",
        their_isa_id="PROVIDER01",
        their_gs_code="PROVIDER01",
        our_isa_id="EDIPLATFORM",
    )

    # 1. the members, through the ingest service (one 834), projected
    generated = s834.generated_members(args.members)
    t0 = time.perf_counter()
    ingest_bytes(data=s834.build_834(generated, isa13=900), original_name="bench.834")
    project_pending(batch_size=5000)
    print(
        f"enrolled {Member.objects.count():,} members (834 ingest + projection "
        f"{time.perf_counter() - t0:.1f}s)"
    )
    people = [m for m in generated if m["relationship"] == "18"]
    connection.cursor().execute("ANALYZE")

    # 2. real time: one inquiry per file, one file after another
    latencies: list[float] = []  # ingest call -> the 271 file's finishing commit
    returns: list[float] = []  # ingest call -> it returns (the 999 assembled too)
    isa13 = 1000
    for n in range(args.realtime):
        isa13 += 1
        data = s270.build_270([asked(people, (n * 7919) % len(people))], isa13=isa13)
        wall, started = time.time(), time.perf_counter()
        result = ingest_bytes(data=data, original_name=f"rt{n}.270")
        returns.append(time.perf_counter() - started)
        outcome = ProcessingOutcome.objects.select_related("outbound_file").get(
            batch_id=result.batch, response_type="271"
        )
        file = outcome.outbound_file
        if file is None or file.status != OutboundFileStatus.PERSISTED:
            sys.exit(f"real-time 271 of batch {result.batch} not persisted: {outcome.status}")
        latencies.append(file.updated_at.timestamp() - wall)  # set by the finishing commit
    floor_rt: list[float] = []
    for n in range(args.realtime):
        sid = people[(n * 7919) % len(people)]["subscriber_id"]
        started = time.perf_counter()
        members_by_identifier(identifiers=[sid])
        floor_rt.append(time.perf_counter() - started)
    answered = EligibilityInquiry.objects.filter(result="ACTIVE").count()
    print(
        f"real time: {args.realtime:,} single-inquiry 270 files, ingest call -> 271 persisted: "
        f"p50 {ms(pct(latencies, 50))}, p95 {ms(pct(latencies, 95))}, "
        f"p99 {ms(pct(latencies, 99))}, max {ms(max(latencies))} ({answered:,} active answers)"
    )
    print(
        f"  ingest call returns (its 999 assembled too): p50 {ms(pct(returns, 50))}, "
        f"p95 {ms(pct(returns, 95))}, p99 {ms(pct(returns, 99))}"
    )
    print(
        f"  floor (bare lookup of one member + coverages): p50 {ms(pct(floor_rt, 50))}, "
        f"p95 {ms(pct(floor_rt, 95))}; ratio p50 {pct(latencies, 50) / pct(floor_rt, 50):.0f}x, "
        f"p95 {pct(latencies, 95) / pct(floor_rt, 95):.0f}x"
    )
    print(f"  mean {ms(statistics.mean(latencies))}; targets p95 < 1 s, p99 < 2 s")

    # 3. batch: one 270 with many inquiries, to its persisted 271
    count = min(args.batch, len(people))
    inquiries = [asked(people, n) for n in range(count)]
    data = s270.build_270(inquiries, isa13=isa13 + 1)
    _timed_answer()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if args.heap:
        tracemalloc.start()
    started = time.perf_counter()
    result = ingest_bytes(data=data, original_name="batch.270")
    ingested = time.perf_counter()
    assembly = outbound_assemble(response_type="271", ignore_windows=True)
    done = time.perf_counter()
    memory = f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB "
    memory += f"(was {rss_before / 1024:.0f} MB before the batch)"
    if args.heap:
        memory += f", Python heap peak {tracemalloc.get_traced_memory()[1] / 1e6:.0f} MB"
        tracemalloc.stop()
    outcome = ProcessingOutcome.objects.select_related("outbound_file").get(
        batch_id=result.batch, response_type="271"
    )
    file = outcome.outbound_file
    rows = EligibilityInquiry.objects.filter(batch_id=result.batch).count()
    total = done - started
    print(
        f"batch: one 270 of {count:,} inquiries ({len(data) / 1e6:.1f} MB) -> 271 "
        f"{file.status} ({file.size / 1e6:.1f} MB, {file.segment_count:,} segments), {rows:,} "
        f"inquiry rows: {total:.2f}s = {count / total:,.0f} inquiries/s (target >= 2,000)"
    )
    print(
        f"  ingest {ingested - started:.2f}s (of which the 271 handler {_answer_seconds[0]:.2f}s: "
        f"parse, lookups, match, segments, outcome, inquiry rows), assembly "
        f"{done - ingested:.2f}s "
        f"(render {assembly.times.render:.2f}s, validation {assembly.times.validation:.2f}s, "
        f"storage {assembly.times.storage:.2f}s); {memory}"
    )
    ids = [p["subscriber_id"] for p in people[:count]]
    started = time.perf_counter()
    for start in range(0, len(ids), 1000):
        members_by_identifier(identifiers=ids[start : start + 1000])
    floor = time.perf_counter() - started
    print(
        f"  floor (bare lookups, chunks of 1,000): {floor:.2f}s = {count / floor:,.0f} "
        f"inquiries/s; ratio {total / floor:.1f}x"
    )


if __name__ == "__main__":
    try:
        main()
    finally:
        connection.close()
        DB.drop()
