"""Remittance benchmark (issue 17): adjudication results in -> 835s persisted, and 276 in ->
277 persisted in real time, on PostgreSQL.

Run against the throwaway PostgreSQL (fsync on for honest figures)::

    TEST_PG_FSYNC=on scripts/with-test-services.sh .venv/bin/python bench/remittance.py
    ... bench/remittance.py --claims 10000 --per-payment 100 --realtime 1000

What it does, in one run, on a database of its own:

1. records ``--claims`` accepted claims (default 10,000) through the ingest service (one
   837P of 1,000-claim sets; the member edits are switched off for the sender, so no 834 is
   needed: the remittance path, not the member lookups, is measured);
2. imports adjudication results for all of them (``--per-payment`` claims per payment,
   default 100: 100 payments to one payee; each claim one line with CO and PR adjustments)
   through :func:`outbound.remittance.services.remittance_import`, then assembles the 835s
   (render, X221A1 guide + SNIP 3 balancing + envelope validation, storage) -> claims/s
   from the import call to the last 835 persisted;
3. real time: ``--realtime`` single-claim 276 files (default 1,000, by our claim control
   number), ingested one after another; for each, the latency from the ingest call to its
   277 file PERSISTED (Celery eager: the on-commit assembly runs inline, no broker hop);
4. the baselines, in the same run: the adjudication rows written raw (COPY of the same
   10,000 rows into a temporary copy of the table), and the bare lookup of one claim by
   its control number for each 276.

Figures are printed, never asserted; the ratios are ours / the baseline. The machine is
shared: run it twice and report both.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _own_db import own_database  # noqa: E402  (bench/ is the script's folder)

DB = own_database("remit")
BENCH_DB, STORAGE = DB.name, DB.storage

import django  # noqa: E402

django.setup()

import logging  # noqa: E402

logging.disable(logging.WARNING)

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from eventstore.inbound.services.ingest import ingest_bytes  # noqa: E402
from outbound.models import (  # noqa: E402
    Adjudication,
    Claim,
    ClaimEditSetting,
    OutboundFileStatus,
    ProcessingOutcome,
)
from outbound.remittance.services import remittance_import  # noqa: E402
from outbound.services.assembly import outbound_assemble  # noqa: E402
from tests.factories import TradingPartnerFactory  # noqa: E402
from tests.support.synthetic_276 import build_276, inquiry  # noqa: E402
from tests.support.synthetic_837 import Claim as C  # noqa: E402
from tests.support.synthetic_837 import Line, Person, Provider, build_837  # noqa: E402
from tests.support.synthetic_remittance import (  # noqa: E402
    claim_result,
    document,
    encode,
    line,
    payment,
)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def _member(n: int) -> str:
    # subscribers take turns: a subscriber loop holds at most 100 claims (2300 repeat)
    return f"SUB{n % 100:04d}"


def record_claims(count: int) -> list[tuple[int, str]]:
    """``count`` accepted claims (one 837P of 1,000-claim sets); (control number, member)."""
    sets = []
    for start in range(0, count, 1000):
        claims = [
            C(pcn=f"B{n:08d}", subscriber=Person(id=_member(n)), lines=[Line()])
            for n in range(start, min(count, start + 1000))
        ]
        sets.append([Provider(claims=claims)])
    started = time.perf_counter()
    result = ingest_bytes(data=build_837("P", sets, isa13=500), original_name="bench.837p")
    numbers = list(
        Claim.objects.filter(batch_id=result.batch, status="ACCEPTED")
        .order_by("id")
        .values_list("payer_claim_control_number", "subscriber_id")
    )
    if len(numbers) != count:
        sys.exit(f"only {len(numbers)} of {count} claims accepted: {result.reason}")
    print(f"recorded {len(numbers):,} accepted claims ({time.perf_counter() - started:.1f}s)")
    return numbers


def results_doc(numbers: list[tuple[int, str]], per_payment: int) -> bytes:
    payments = []
    for p, start in enumerate(range(0, len(numbers), per_payment)):
        chunk = numbers[start : start + per_payment]
        claims = [claim_result(n, [line("100.00", co="15.00", pr="5.00")]) for n, _ in chunk]
        plb = [{"reason": "L6", "amount": "-1.25"}] if p % 10 == 0 else []
        payments.append(payment(claims, trace=f"EFT{p:06d}", plb=plb))
    return encode(document(payments))


def raw_floor(rows: int) -> float:
    """COPY the same number of adjudication rows into a temporary copy of the table."""
    table = Adjudication._meta.db_table
    sample = Adjudication.objects.order_by("id").values_list(
        "claim_id", "payment_id", "partner_id", "status", "charge", "paid"
    )[:rows]
    data = list(sample)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE bench_adj (LIKE {table} INCLUDING DEFAULTS)")
        started = time.perf_counter()
        sql = (
            "COPY bench_adj (claim_id, payment_id, partner_id, position, status, charge, paid, "
            "patient_responsibility, filing_indicator, payer_claim_id, adjustments, remarks, "
            "lines, paid_on, adjudicated_at, id) FROM STDIN"
        )
        with cursor.cursor.copy(sql) as copy:
            for n, (claim, pay, partner, status, charge, paid) in enumerate(data):
                copy.write_row(
                    (claim, pay, partner, 1, status, charge, paid, 5, "12", "X",
                     '[["CO","45","15.00",""],["PR","2","5.00",""]]', "[]", "[]",
                     "2025-02-01", "2026-01-01T00:00:00Z", n + 1)
                )  # fmt: skip
        connection.commit() if not connection.get_autocommit() else None
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument("--per-payment", type=int, default=100)
    parser.add_argument("--realtime", type=int, default=1_000)
    parser.add_argument("--profile", action="store_true", help="cProfile the import (slower)")
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    with connection.cursor() as c:
        c.execute("SHOW fsync")
        fsync = c.fetchone()[0]
    print(f"PostgreSQL {connection.pg_version // 10000}, fsync={fsync}, database {BENCH_DB}")
    provider = TradingPartnerFactory(
        code="PROV01",
        their_isa_id="PROVIDER01",
        their_gs_code="PROVIDER01",
        our_isa_id="EDIPLATFORM",
    )
    for edit in ("SUBSCRIBER_UNKNOWN", "PATIENT_UNKNOWN", "NOT_ELIGIBLE", "DUPLICATE"):
        ClaimEditSetting.objects.create(partner=provider, edit=edit, enabled=False)

    numbers = record_claims(args.claims)
    data = results_doc(numbers, args.per_payment)
    connection.cursor().execute("ANALYZE")

    # 2. import -> 835s persisted
    started = time.perf_counter()
    cpu = time.process_time()  # this process's CPU: less at the mercy of the machine's load
    if args.profile:
        import cProfile
        import pstats

        # CPU time (process_time): the shared machine's load does not count
        profiler = cProfile.Profile(time.process_time)
        result = profiler.runcall(remittance_import, data=data, name="b.json", acting_user=None)
        imported = time.perf_counter() - started
        assembly = profiler.runcall(outbound_assemble, ignore_windows=True, response_type="835")
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(30)
    else:
        result = remittance_import(data=data, name="bench.json", acting_user=None)
        imported = time.perf_counter() - started
        cpu_import = time.process_time() - cpu
        assembly = outbound_assemble(ignore_windows=True, response_type="835")
    total = time.perf_counter() - started
    cpu_total = time.process_time() - cpu
    t = assembly.times
    quarantined = ProcessingOutcome.objects.filter(response_type="835", status="FAILED").count()
    print(
        f"remittance: {result.claims:,} claims in {result.payments} payments "
        f"({len(data) / 1e6:.1f} MB of JSON): import {imported:.2f}s, "
        f"835 assembly {total - imported:.2f}s ({assembly.persisted} files, "
        f"{quarantined} quarantined outcomes; render {t.render:.2f}s, "
        f"validation {t.validation:.2f}s, storage {t.storage:.2f}s) -> "
        f"{result.claims / total:,.0f} claims/s import to 835 persisted"
    )
    if not args.profile:
        print(
            f"  CPU of this process: import {cpu_import:.2f}s, assembly "
            f"{cpu_total - cpu_import:.2f}s -> {result.claims / cpu_total:,.0f} claims per "
            "CPU second (PostgreSQL's own CPU not counted)"
        )
    floor = raw_floor(result.claims)
    print(
        f"  baseline: COPY of {result.claims:,} adjudication rows {floor:.3f}s "
        f"({result.claims / floor:,.0f} rows/s); ratio ours/baseline {total / floor:.0f}x"
    )

    # 3. real time 276 -> 277
    latencies: list[float] = []
    floor_rt: list[float] = []
    if not args.realtime:
        return
    isa13 = 1000
    found = 0
    for n in range(args.realtime):
        isa13 += 1
        icn, member_id = numbers[(n * 7919) % len(numbers)]
        payload = build_276([inquiry(icn=icn, member_id=member_id, trace=f"T{n}")], isa13=isa13)
        wall, started = time.time(), time.perf_counter()
        got = ingest_bytes(data=payload, original_name=f"rt{n}.276")
        outcome = ProcessingOutcome.objects.select_related("outbound_file").get(
            batch_id=got.batch, response_type="277"
        )
        file = outcome.outbound_file
        if file is None or file.status != OutboundFileStatus.PERSISTED:
            sys.exit(f"real-time 277 of batch {got.batch} not persisted: {outcome.status}")
        latencies.append(file.updated_at.timestamp() - wall)
        found += "F1" in str(outcome.payload["segments"])
        started = time.perf_counter()
        Claim.objects.filter(payer_claim_control_number=icn, partner=provider).values_list(
            "id", "status"
        ).first()
        floor_rt.append(time.perf_counter() - started)
    print(
        f"real time: {args.realtime:,} single-claim 276 files, ingest call -> 277 persisted: "
        f"p50 {ms(pct(latencies, 50))}, p95 {ms(pct(latencies, 95))}, "
        f"p99 {ms(pct(latencies, 99))}, max {ms(max(latencies))} ({found:,} answered F1)"
    )
    print(
        f"  baseline (bare lookup of the claim): p50 {ms(pct(floor_rt, 50))}, p95 "
        f"{ms(pct(floor_rt, 95))}; ratio p50 {pct(latencies, 50) / pct(floor_rt, 50):.0f}x"
    )


if __name__ == "__main__":
    try:
        main()
    finally:
        from django.db import connections

        connections.close_all()
        DB.drop()
