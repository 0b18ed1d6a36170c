"""Benchmark: the whole pipeline on a real Celery worker pool, at 1, 2 and 4 worker processes.

Run on a throwaway PostgreSQL + Redis (started and stopped by the script wrapper):

    TEST_PG_FSYNC=on scripts/with-test-services.sh .venv/bin/python bench/scale.py
    scripts/with-test-services.sh .venv/bin/python bench/scale.py --files 2000   # quicker
    scripts/with-test-services.sh .venv/bin/python bench/scale.py --workers 1,2

What it does, for each worker count N (one after the other, each on a fresh copy of the same
migrated database and a fresh backlog):

1. drops ``--files`` small 834 files (one transaction set each, distinct ISA13s, generated
   before anything is measured) in an inbox folder;
2. starts ``celery -A edi_platform worker --pool prefork --concurrency N`` on the Redis broker
   with ``INBOUND_INBOX_SHARDS=N``, and sends the beat's inbox poll (again every minute, as
   beat would): it fans out into N shard polls, which ingest, validate, stage the 999s,
   append the enrollment events and move the files (phase "ingest": until the inbox is
   empty);
3. lets the 999 window elapse (the staged outcomes' due time is set to now, as the minute
   tick would find them) and sends N assembly tasks, as beat would: they split the due
   outcomes (skip-locked claims), assemble, validate and store the 999 files and write
   their outbox messages, whose publishing to the Redis stream they enqueue (phase
   "acknowledge": until every outcome is assembled, every outbox message sent and the
   broker queue empty — the projection tasks the appends enqueued included);
4. samples /proc meanwhile: CPU time of PostgreSQL (the postmaster and every backend), of
   the Celery worker processes, and of the whole machine (others' load included: the
   machine may be shared), plus PostgreSQL's WAL flush count and time (``pg_stat_wal``
   with ``track_wal_io_timing``) — and says what saturates: PostgreSQL CPU, Python CPU,
   fsync, or none of them (then the wait is elsewhere: round trips, the broker, locks).

Prints files/s per worker count for each phase and end to end, the CPU cores each side used,
the CPU time per file (Python, PostgreSQL: what a capacity model needs, and what a busy
shared machine changes least) and the ratio against the 1-worker run of this same process.
Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

BENCH = Path(__file__).resolve().parent
REPO_ROOT = BENCH.parent
sys.path.append(str(BENCH))
sys.path.insert(0, str(REPO_ROOT))

from _own_db import own_database  # noqa: E402  (bench/_own_db.py)
from ingest import generate_small, migrate_and_onboard  # noqa: E402  (bench/ingest.py)

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
BEAT_SECONDS = 60  # the inbox poll and the assembly run every minute on beat


# -- /proc sampling ---------------------------------------------------------------------------


def _proc_stat(pid: int) -> tuple[int, float, float] | None:
    """(parent pid, own CPU seconds, CPU seconds of its waited-for children) of ``pid``."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()  # after "pid (comm) "
    own = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    children = (int(fields[13]) + int(fields[14])) / CLOCK_TICKS
    return int(fields[1]), own, children


def tree_cpu_seconds(root: int) -> float:
    """CPU seconds of ``root``, its live children and the children it has already reaped
    (a PostgreSQL backend that exited is counted in the postmaster's children's time)."""
    stat = _proc_stat(root)
    if stat is None:
        return 0.0
    total = stat[1] + stat[2]
    for entry in os.scandir("/proc"):
        if entry.name.isdigit() and int(entry.name) != root:
            child = _proc_stat(int(entry.name))
            if child is not None and child[0] == root:
                total += child[1]
    return total


def machine_cpu() -> tuple[float, float, float]:
    """(busy, iowait, all) CPU seconds of the whole machine since boot (/proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle, iowait = values[3], values[4]
    total = sum(values[:8])  # guest time is already in user
    return (total - idle - iowait) / CLOCK_TICKS, iowait / CLOCK_TICKS, total / CLOCK_TICKS


@dataclass
class Usage:
    """What one phase used, from two readings."""

    seconds: float = 0.0
    postgres_cpu: float = 0.0
    workers_cpu: float = 0.0
    machine_busy: float = 0.0  # CPU seconds, every process on the machine
    machine_iowait: float = 0.0
    wal_syncs: int = 0
    wal_sync_seconds: float = 0.0


@dataclass
class Meter:
    """Reads the counters at the start and end of a phase."""

    postmaster: int
    worker: int
    wal: object  # a callable returning (syncs, sync seconds)
    start: tuple = field(default_factory=tuple)

    def read(self) -> tuple:
        busy, iowait, _ = machine_cpu()
        return (
            time.perf_counter(),
            tree_cpu_seconds(self.postmaster),
            tree_cpu_seconds(self.worker),
            busy,
            iowait,
            *self.wal(),
        )

    def begin(self) -> None:
        self.start = self.read()

    def end(self) -> Usage:
        end = self.read()
        d = [b - a for a, b in zip(self.start, end, strict=True)]
        return Usage(d[0], d[1], d[2], d[3], d[4], int(d[5]), d[6])


def verdict(u: Usage, cores: int) -> str:
    """What saturated during a phase (see the module docstring)."""
    pg, py = u.postgres_cpu / u.seconds, u.workers_cpu / u.seconds
    busy = u.machine_busy / u.seconds
    others = max(0.0, busy - pg - py)
    fsync = u.wal_sync_seconds / u.seconds
    if busy >= 0.9 * cores:
        ours = "PostgreSQL" if pg >= py else "Python (the workers)"
        note = f"; other processes took {others:.2f}" if others >= 0.25 else ""
        return f"CPU: all {cores} cores busy, most of ours in {ours}{note}"
    if fsync >= 0.7:
        return f"fsync: a WAL flush was under way {fsync:.0%} of the time"
    return (
        f"nothing: CPU {busy:.2f} of {cores} cores, WAL flushes {fsync:.0%} of the time "
        "(waits between steps: round trips, broker, locks)"
    )


# -- one run ----------------------------------------------------------------------------------


@dataclass
class Run:
    workers: int
    files: int
    ingest: Usage
    acknowledge: Usage
    outbound_files: int
    not_accepted: int


def _count(db, sql: str) -> int:
    return int(db.execute(sql).fetchone()[0])


def _wait(until, *, timeout: float, tick=None) -> None:
    """Call ``until()`` every 0.2 s until it is true; ``tick()`` every beat interval."""
    deadline = time.monotonic() + timeout
    beat = time.monotonic()
    while not until():
        if time.monotonic() > deadline:
            sys.exit("timed out: the pipeline did not finish (see the worker log)")
        if tick is not None and time.monotonic() - beat >= BEAT_SECONDS:
            tick()
            beat = time.monotonic()
        time.sleep(0.2)


def run_workers(*, n: int, base_url: str, template: str, inbox: Path, files: int, redis_url: str):
    import psycopg
    import redis
    from celery import Celery

    name = f"{template}_w{n}"
    with psycopg.connect(base_url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
    parts = urlparse(base_url)
    url = f"{parts.scheme}://{parts.netloc}/{name}"
    broker = redis_url.rsplit("/", 1)[0] + f"/{10 + n}"  # a Redis database per run
    redis.Redis.from_url(broker).flushdb()
    storage = inbox.parent / "storage"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "CONN_MAX_AGE": "600",  # a worker keeps its connection, as in production
        "CELERY_BROKER_URL": broker,
        "OUTBOUND_REDIS_URL": broker,
        "INBOUND_INBOX_DIR": str(inbox),
        "INBOUND_INBOX_MIN_AGE_SECONDS": "0",
        "INBOUND_INBOX_SHARDS": str(n),
        "INBOUND_STORAGE_ROOT": str(storage / "inbound"),
        "OUTBOUND_STORAGE_ROOT": str(storage / "outbound"),
        "PYTHONPATH": str(REPO_ROOT),
    }
    log = inbox.parent / "worker.log"
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "edi_platform", "worker", "--pool", "prefork",
         "--concurrency", str(n), "--loglevel", "WARNING", "--without-gossip",
         "--without-mingle", "--without-heartbeat", "-n", f"scale{n}@%h"],
        cwd=REPO_ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    client = Celery(broker=broker, set_as_current=False)
    try:
        with psycopg.connect(url, autocommit=True) as db:
            postmaster = int(Path(f"/proc/{_count(db, 'SELECT pg_backend_pid()')}/stat")
                             .read_text().rsplit(")", 1)[1].split()[1])  # fmt: skip

            def wal() -> tuple[int, float]:
                row = db.execute("SELECT wal_sync, wal_sync_time FROM pg_stat_wal").fetchone()
                return int(row[0]), float(row[1] or 0) / 1000

            _wait(lambda: bool(client.control.ping(timeout=0.5)), timeout=120)
            meter = Meter(postmaster=postmaster, worker=worker.pid, wal=wal)

            def poll() -> None:  # what beat sends every minute
                client.send_task("eventstore.inbound.tasks.poll_inbox")

            meter.begin()
            poll()
            _wait(lambda: not any(p.is_file() for p in inbox.iterdir()), timeout=3600, tick=poll)
            ingest = meter.end()

            # the 999 window elapses: the minute tick finds every staged outcome due
            db.execute(
                "UPDATE outbound_processingoutcome SET due_at = now() WHERE status = 'PENDING'"
            )

            def assemble() -> None:
                for _ in range(n):
                    client.send_task("outbound.tasks.assemble_due")
                client.send_task("outbound.tasks.publish_outbox")

            def drained() -> bool:
                return (
                    _count(db, "SELECT count(*) FROM outbound_processingoutcome "
                               "WHERE status IN ('PENDING', 'CLAIMED')") == 0
                    and _count(db, "SELECT count(*) FROM outbound_outboxmessage "
                                   "WHERE status = 'PENDING'") == 0
                    and queue.llen("celery") == 0
                    and queue.hlen("unacked") == 0  # taken by a worker, not finished yet
                )  # fmt: skip

            queue = redis.Redis.from_url(broker)
            meter.begin()
            assemble()
            _wait(drained, timeout=3600, tick=assemble)
            acknowledge = meter.end()
            outbound_files = _count(db, "SELECT count(*) FROM outbound_outboundfile")
            not_accepted = _count(
                db, "SELECT count(*) FROM eventstore_transactionbatch WHERE status <> 'ACCEPTED'"
            )
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        redis.Redis.from_url(broker).flushdb()
        with psycopg.connect(base_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    return Run(n, files, ingest, acknowledge, outbound_files, not_accepted)


# -- main ---------------------------------------------------------------------------------------


def _setup_template() -> None:
    import django

    django.setup()
    from django.db import connection

    migrate_and_onboard()
    with connection.cursor() as cursor:  # WAL flush time in pg_stat_wal (this cluster only)
        try:
            cursor.execute("ALTER SYSTEM SET track_wal_io_timing = on")
            cursor.execute("SELECT pg_reload_conf()")
        except Exception as exc:  # not a superuser: flush counts only, times stay 0
            print(f"(track_wal_io_timing not set: {type(exc).__name__})")
    connection.close()  # CREATE DATABASE ... TEMPLATE needs the template unused


def _line(label: str, files: int, u: Usage, base: Usage | None) -> str:
    rate = files / u.seconds
    ratio = f"  x{(base.seconds / u.seconds):.2f} vs 1 worker" if base else ""
    return (
        f"    {label:<12} {u.seconds:8.1f} s {rate:8.1f} files/s{ratio}   cores used: PostgreSQL "
        f"{u.postgres_cpu / u.seconds:4.2f}, workers {u.workers_cpu / u.seconds:4.2f}, machine "
        f"{u.machine_busy / u.seconds:4.2f} (iowait {u.machine_iowait / u.seconds:4.2f}); "
        f"WAL flushes {u.wal_syncs / u.seconds:6.0f}/s, {u.wal_sync_seconds / u.seconds:4.0%} "
        f"of the time\n    {'':<12} CPU per file: Python {u.workers_cpu / files * 1000:5.2f} ms, "
        f"PostgreSQL {u.postgres_cpu / files * 1000:5.2f} ms -> "
        f"{files / (u.workers_cpu + u.postgres_cpu):6.0f} files per CPU-second of ours "
        "(contention on a busy machine inflates CPU time: a quiet one does more)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=10_000, help="backlog per run")
    parser.add_argument("--workers", default="1,2,4", help="worker counts, comma-separated")
    args = parser.parse_args()
    counts = [int(c) for c in args.workers.split(",")]
    redis_url = os.environ.get("TEST_REDIS_URL", "")
    if not redis_url:
        sys.exit("TEST_REDIS_URL is not set: run through scripts/with-test-services.sh")

    own = own_database("scale")
    _setup_template()
    work = Path(own.storage)
    nonce = f"{random.randrange(36**6):06d}"
    base = random.randrange(1, 900_000_000)
    inboxes = {}
    for i, n in enumerate(counts):
        inbox = work / f"w{n}" / "inbox"
        inbox.mkdir(parents=True)
        generate_small(inbox, args.files, base + i * args.files, f"{nonce}{n}", f"w{n}")
        inboxes[n] = inbox
    os.sync()  # the generated files are on disk before anything is measured
    cores = os.cpu_count() or 1
    load = os.getloadavg()
    print(
        f"{args.files} small 834 files per run; {cores} cores; load before "
        f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    runs: list[Run] = []
    try:
        for n in counts:
            run = run_workers(
                n=n,
                base_url=own.base_url,
                template=own.name,
                inbox=inboxes[n],
                files=args.files,
                redis_url=redis_url,
            )
            runs.append(run)
            first = runs[0] if runs[0] is not run else None
            total = Usage(
                *(
                    getattr(run.ingest, f) + getattr(run.acknowledge, f)
                    for f in Usage.__dataclass_fields__
                )
            )
            base_total = (
                Usage(
                    *(
                        getattr(first.ingest, f) + getattr(first.acknowledge, f)
                        for f in Usage.__dataclass_fields__
                    )
                )
                if first
                else None
            )
            print(
                f"\n{n} worker process(es): {run.files} files -> {run.outbound_files} 999 files"
                + (f" ({run.not_accepted} batches not accepted!)" if run.not_accepted else "")
                + f"; load now {os.getloadavg()[0]:.2f}"
            )
            print(_line("ingest", run.files, run.ingest, first.ingest if first else None))
            print(
                _line(
                    "acknowledge", run.files, run.acknowledge, first.acknowledge if first else None
                )
            )
            print(_line("pipeline", run.files, total, base_total))
            print(f"    saturated (ingest): {verdict(run.ingest, cores)}")
            print(f"    saturated (acknowledge): {verdict(run.acknowledge, cores)}")
    finally:
        own.drop()
    if len(runs) > 1:
        one = runs[0].ingest.seconds + runs[0].acknowledge.seconds
        print("\npipeline throughput against 1 worker (target x1.7 at 2 workers):")
        for run in runs[1:]:
            both = run.ingest.seconds + run.acknowledge.seconds
            print(f"  {run.workers} workers: x{one / both:.2f}")


if __name__ == "__main__":
    main()
