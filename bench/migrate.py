"""migrate_database benchmark: a generated SQLite installation of >= 1 GB moved to PostgreSQL.

Run against the throwaway PostgreSQL (fsync on for honest figures)::

    TEST_PG_FSYNC=on scripts/with-test-services.sh .venv/bin/python bench/migrate.py [--gb 1.0]

1. A SQLite installation is made (``manage.py migrate``) and filled directly with sqlite3,
   mostly domain events and inbound batches (plus headers, members, enrollments,
   control-number counters and audit rows, partners), so that every invariant holds and the
   reference triggers accept it. It is generated until the file reaches ``--gb``.
2. ``manage.py migrate_database --to … --format json`` runs in a child process (as an
   operator would run it): wall time, its own peak RSS (``wait4``), the report's phases.
3. The baseline, in the same run on the same server: plain psycopg COPY of the largest table
   alone (``eventstore_domainevent``: ``SELECT *`` from SQLite into an identical table with
   its primary key only) - no schema migrations, no other tables, no validation.

Printed: database size, rows, our time per GB (validation included) and peak RSS against the
issue's targets (< 5 min per GB, < 300 MB), the baseline's time per GB, and the ratio.
Everything generated is removed at the end (temporary directory, both databases).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import orjson  # noqa: E402
import psycopg  # noqa: E402

GB = 1024**3
EVENT_TYPES = ("MemberAdded", "EnrollmentAdded", "MemberChanged", "EnrollmentChanged")


def _env(db_path: Path, work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "CELERY_BROKER_URL"}
    env.update(
        DATABASE_URL=f"sqlite:///{db_path}",
        DEBUG="false",
        SECRET_KEY=os.environ.get("SECRET_KEY", "bench-secret-key-not-for-production-000000000"),
        SECURE_SSL_REDIRECT="false",
        LOG_LEVEL="WARNING",
        INBOUND_STORAGE_ROOT=str(work / "inbound"),
        OUTBOUND_STORAGE_ROOT=str(work / "outbound"),
        DJANGO_SETTINGS_MODULE="edi_platform.settings",
        PYTHONPATH=str(ROOT),
    )
    return env


def _ts(i: int) -> str:
    day = f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}"
    return f"{day} {i % 24:02d}:{i % 60:02d}:{i % 60:02d}.{i % 999999:06d}"


def _insert(conn: sqlite3.Connection, table: str, columns: list[str], rows) -> None:
    marks = ", ".join("?" * len(columns))
    conn.executemany(f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({marks})', rows)


def generate(db: Path, target_bytes: int) -> dict[str, int]:
    """Fill the migrated SQLite file until it reaches ``target_bytes``; returns row counts."""
    conn = sqlite3.connect(db, isolation_level=None)
    # the CHECK constraints Django writes for SQLite call REGEXP (Django's connection has it)
    conn.create_function(
        "REGEXP", 2, lambda pattern, value: value is not None and bool(re.search(pattern, value))
    )
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-200000")
    conn.execute("BEGIN")
    partners = 20
    _insert(
        conn,
        "partners_tradingpartner",
        [
            "code",
            "name",
            "active",
            "their_isa_qualifier",
            "their_isa_id",
            "our_isa_qualifier",
            "our_isa_id",
            "their_gs_code",
            "our_gs_code",
            "usage_indicator",
            "ta1_policy",
            "element_separator",
            "component_separator",
            "repetition_separator",
            "segment_terminator",
            "control_number_scope",
            "version_fallback",
            "created_at",
            "updated_at",
        ],
        [
            (
                f"BENCH{p:03d}",
                f"Bench partner {p}",
                1,
                "ZZ",
                f"BENCH{p:03d}",
                "ZZ",
                "EDIPLATFORM",
                f"BENCH{p:03d}",
                "EDIPLATFORM",
                "P",
                "on_request",
                "*",
                ":",
                "^",
                "~",
                "partner",
                "",
                _ts(p),
                _ts(p),
            )
            for p in range(1, partners + 1)
        ],
    )
    counts = {"batches": 0, "events": 0, "members": 0, "audit": 0}
    batch_id = 0
    position = 0
    members_per_round = 20000
    round_no = 0
    report = orjson.dumps(
        {"interchanges": 1, "groups": [{"gs06": "1", "ak9": "A", "sets": 7}], "notes": "x" * 300}
    ).decode()
    while os.path.getsize(db) < target_bytes:
        round_no += 1
        # 20,000 members, 7 events each; one 834 file (batch) per 20 members, one transaction
        # set (header) per member
        batches, headers, events, members = [], [], [], []
        for m in range(members_per_round):
            member_no = (round_no - 1) * members_per_round + m
            if m % 20 == 0:
                batch_id += 1
                partner = 1 + batch_id % partners
                batches.append(
                    (
                        batch_id,
                        f"file{batch_id:07d}.834",
                        partner,
                        f"{batch_id:064x}",
                        900_000,
                        f"inbound/partner=BENCH{partner:03d}/{batch_id:064x}",
                        _ts(batch_id),
                        "command",
                        "ZZ",
                        f"BENCH{partner:03d}",
                        "ZZ",
                        "EDIPLATFORM",
                        f"{batch_id % 10**9:09d}",
                        "240101",
                        "1200",
                        "P",
                        "ACCEPTED",
                        "",
                        1,
                        0,
                        1,
                        0,
                        1200,
                        _ts(batch_id),
                        9000,
                        0,
                        "",
                        report,
                    )
                )
            header_id = member_no + 1
            headers.append(
                (
                    header_id,
                    batch_id,
                    f"{batch_id % 10**9:09d}",
                    "BE",
                    "1",
                    "005010X220A1",
                    "834",
                    f"{header_id % 10000:04d}",
                    "005010X220A1",
                    9,
                    100 * (m % 20),
                    100 * (m % 20) + 900,
                    2 + 9 * (m % 20),
                    "A",
                    "[]",
                    "ROUTED",
                    "7 events",
                    _ts(batch_id),
                )
            )
            aggregate = f"m-{member_no:062x}"
            members.append((aggregate, member_no))
            for version in range(1, 8):
                position += 1
                data = orjson.dumps(
                    {
                        "partner_code": f"BENCH{1 + batch_id % partners:03d}",
                        "subscriber_id": f"S{member_no:09d}",
                        "member_ref": "",
                        "relationship": "18",
                        "last_name": "SYNTHETIC",
                        "first_name": "MEMBER",
                        "birth_date": "1980-01-01",
                        "gender": "F",
                        "address": {
                            "line1": f"{member_no} MAIN ST",
                            "city": "SPRINGFIELD",
                            "state": "IL",
                            "postal_code": "62701",
                        },
                        "coverage": {"line": "HLT", "plan": "GOLD", "begin": "2024-01-01"},
                        "maintenance_reason": "28",
                        "benefit_status": "A",
                    }
                ).decode()
                metadata = orjson.dumps(
                    {
                        "batch": batch_id,
                        "header": header_id,
                        "st02": f"{header_id % 10000:04d}",
                        "ins_position": 1,
                        "correlation_id": str(uuid.UUID(int=position)),
                    }
                ).decode()
                events.append(
                    (
                        position,
                        uuid.UUID(int=position).hex,
                        "member",
                        aggregate,
                        version,
                        EVENT_TYPES[version % 4],
                        2,
                        data,
                        metadata,
                        batch_id,
                        header_id,
                        _ts(position),
                        _ts(position),
                        0,
                        None,
                    )
                )
        _insert(
            conn,
            "eventstore_transactionbatch",
            [
                "id",
                "original_name",
                "partner_id",
                "sha256",
                "size",
                "storage_path",
                "received_at",
                "channel",
                "sender_qualifier",
                "sender_id",
                "receiver_qualifier",
                "receiver_id",
                "isa13",
                "isa09",
                "isa10",
                "usage_indicator",
                "status",
                "status_reason",
                "groups_accepted",
                "groups_rejected",
                "sets_accepted",
                "sets_rejected",
                "processing_ms",
                "processed_at",
                "segment_count",
                "reprocess_count",
                "last_reprocessed_by",
                "report",
            ],
            batches,
        )
        _insert(
            conn,
            "eventstore_transactionheader",
            [
                "id",
                "batch_id",
                "isa13",
                "gs01",
                "gs06",
                "gs08",
                "st01",
                "st02",
                "st03",
                "segment_count",
                "start_offset",
                "end_offset",
                "first_line",
                "verdict",
                "error_summary",
                "routing_status",
                "routing_result",
                "created_at",
            ],
            headers,
        )
        _insert(
            conn,
            "eventstore_domainevent",
            [
                "position",
                "event_id",
                "aggregate_type",
                "aggregate_id",
                "aggregate_version",
                "event_type",
                "schema_version",
                "data",
                "metadata",
                "batch_id",
                "header_id",
                "occurred_at",
                "recorded_at",
                "is_reversal",
                "reverses_id",
            ],
            events,
        )
        _insert(
            conn,
            "eventstore_member",
            [
                "aggregate_id",
                "partner_code",
                "subscriber_id",
                "member_ref",
                "is_subscriber",
                "relationship",
                "last_name",
                "first_name",
                "middle_name",
                "birth_date",
                "gender",
                "address_line1",
                "address_line2",
                "city",
                "state",
                "postal_code",
                "group_policy",
                "benefit_status",
                "maintenance_reason",
                "terminated",
                "eligibility_begin",
                "coverage_begin",
                "version",
                "last_position",
            ],
            (
                (
                    a,
                    f"BENCH{1 + n % partners:03d}",
                    f"S{n:09d}",
                    "",
                    1,
                    "18",
                    "SYNTHETIC",
                    "MEMBER",
                    "",
                    "1980-01-01",
                    "F",
                    f"{n} MAIN ST",
                    "",
                    "SPRINGFIELD",
                    "IL",
                    "62701",
                    "GRP001",
                    "A",
                    "28",
                    0,
                    "2024-01-01",
                    "2024-01-01",
                    7,
                    0,
                )
                for a, n in members
            ),
        )
        _insert(
            conn,
            "eventstore_enrollment",
            [
                "member_id",
                "coverage_key",
                "plan",
                "coverage_level",
                "benefit_begin",
                "terminated",
                "maintenance_reason",
                "version",
                "last_position",
            ],
            ((a, "HLT", "GOLD", "IND", "2024-01-01", 0, "28", 7, 0) for a, _ in members),
        )
        counts["batches"] += len(batches)
        counts["events"] += len(events)
        counts["members"] += len(members)
    # control numbers: an ISA counter per partner with its audit rows (100 files each round)
    audit = []
    for p in range(1, partners + 1):
        issued = 100 * round_no
        conn.execute(
            "INSERT INTO controlnumbers_controlnumbercounter (id, partner_code, "
            "transaction_type, counter_type, current_value, max_value, epoch, issued_count, "
            "last_increment_at, last_file_name, created_at, modified_at) VALUES "
            "(?, ?, '*', 'ISA', ?, 999999999, 1, ?, ?, '', ?, ?)",
            (p, f"BENCH{p:03d}", issued, issued, _ts(p), _ts(p), _ts(p)),
        )
        for n in range(1, issued + 1):
            audit.append(
                (
                    p,
                    n,
                    1,
                    n,
                    uuid.UUID(int=p * 10**9 + n).hex,
                    _ts(n),
                    0,
                    "PERSISTED",
                    "",
                    "system",
                    f"BENCH{p:03d}_999_{n:09d}.edi",
                )
            )
    _insert(
        conn,
        "controlnumbers_controlnumberaudit",
        [
            "counter_id",
            "number",
            "epoch",
            "seq",
            "outbound_file_id",
            "issued_at",
            "retry_count",
            "status",
            "notes",
            "actor",
            "file_name",
        ],
        audit,
    )
    counts["audit"] = len(audit)
    conn.execute("UPDATE eventstore_positioncounter SET last_position = ?", (position,))
    conn.execute(
        "INSERT INTO eventstore_projectioncheckpoint (name, position, updated_at, last_lag, "
        "lag_since) VALUES ('members', ?, ?, 0, ?)",
        (position, _ts(1), _ts(1)),
    )
    conn.execute("UPDATE eventstore_member SET last_position = ?", (position,))
    conn.execute("COMMIT")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.close()
    return counts


def baseline_copy(db: Path, url: str) -> tuple[float, int, int]:
    """Plain COPY of the largest table alone into an identical bare table (PK only)."""
    src = sqlite3.connect(db)
    columns = [r[1] for r in src.execute("PRAGMA table_info(eventstore_domainevent)")]
    started = time.perf_counter()
    rows = 0
    with psycopg.connect(url) as conn:
        conn.execute("SET TIME ZONE 'UTC'")
        conn.execute(
            "CREATE TABLE baseline_events (position bigint PRIMARY KEY, event_id uuid NOT NULL, "
            "aggregate_type varchar(40) NOT NULL, aggregate_id varchar(64) NOT NULL, "
            "aggregate_version integer NOT NULL, event_type varchar(60) NOT NULL, "
            "schema_version smallint NOT NULL, data jsonb NOT NULL, metadata jsonb NOT NULL, "
            "batch_id bigint, header_id bigint, occurred_at timestamptz NOT NULL, "
            "recorded_at timestamptz NOT NULL, is_reversal boolean NOT NULL, "
            "reverses_id bigint)"
        )
        with (
            conn.cursor() as cur,
            cur.copy(f"COPY baseline_events ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            reader = src.execute(f"SELECT {', '.join(columns)} FROM eventstore_domainevent")
            while batch := reader.fetchmany(5000):
                for row in batch:
                    copy.write_row(row)
                rows += len(batch)
        conn.commit()
    seconds = time.perf_counter() - started
    table_bytes = src.execute(
        "SELECT sum(pgsize) FROM dbstat WHERE name = 'eventstore_domainevent'"
    ).fetchone()[0]
    src.close()
    return seconds, rows, int(table_bytes or 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gb", type=float, default=1.0, help="SQLite size to generate (GB)")
    parser.add_argument("--sample-percent", type=float, default=10.0)
    parser.add_argument("--keep", action="store_true", help="keep the files (debugging)")
    parser.add_argument("--generate", metavar="DB", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        print(json.dumps(generate(Path(args.generate), int(args.gb * GB))))
        return
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        sys.exit("DATABASE_URL must point at PostgreSQL (use scripts/with-test-services.sh)")
    u = urlparse(base)
    server = f"{u.scheme}://{u.netloc}"
    target_db, baseline_db = f"bench_migrate_{os.getpid()}", f"bench_baseline_{os.getpid()}"
    work = Path(tempfile.mkdtemp(prefix="bench-migrate-"))
    db = work / "db.sqlite3"
    try:
        with psycopg.connect(base, autocommit=True) as c:
            c.execute(f"CREATE DATABASE {target_db}")
            c.execute(f"CREATE DATABASE {baseline_db}")
        env = _env(db, work)
        subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), "migrate", "-v0"], env=env, check=True
        )
        started = time.perf_counter()
        # in a child process: this one stays small, so the migration child's peak RSS is its own
        # (a forked child's maximum RSS counts the parent's pages it started with)
        made = subprocess.run(
            [sys.executable, __file__, "--generate", str(db), "--gb", str(args.gb)],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        counts = json.loads(made.stdout)
        size = os.path.getsize(db)
        print(
            f"generated {size / GB:.2f} GB SQLite in {time.perf_counter() - started:.0f} s: "
            f"{counts['events']:,} events, {counts['batches']:,} batches (+ headers), "
            f"{counts['members']:,} members and enrollments, {counts['audit']:,} audit rows",
            flush=True,
        )
        subprocess.run(["sync"], check=False)

        started = time.perf_counter()
        out_path, err_path = work / "report.json", work / "progress.txt"
        with open(out_path, "w") as out, open(err_path, "w") as err:
            child = subprocess.Popen(
                [
                    *(sys.executable, str(ROOT / "manage.py"), "migrate_database"),
                    *("--to", f"{server}/{target_db}", "--format", "json"),
                    *("--sample-percent", str(args.sample_percent), "--progress-seconds", "5"),
                ],
                env=env,
                stdout=out,
                stderr=err,
            )
            # wait4: this child's own peak RSS (not the earlier `migrate` child's)
            _, status, usage = os.wait4(child.pid, 0)
            child.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        sys.stderr.write(err_path.read_text())
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit(f"migrate_database failed ({os.waitstatus_to_exitcode(status)})")
        report = json.loads(out_path.read_text())
        rss_mb = usage.ru_maxrss / 1024

        base_seconds, base_rows, base_bytes = baseline_copy(db, f"{server}/{baseline_db}")
        ours_per_gb = seconds / (size / GB)
        base_per_gb = base_seconds / (base_bytes / GB) if base_bytes else float("nan")
        phases = ", ".join(f"{k} {v:.0f} s" for k, v in report["phases"].items())
        print(f"migrate_database: {report['outcome']}, {report['rows']:,} rows in {seconds:.0f} s")
        print(f"  phases: {phases}")
        print(
            f"  {ours_per_gb / 60:.2f} min per GB (validation included; target < 5), "
            f"peak RSS {rss_mb:.0f} MB (target < 300)"
        )
        print(
            f"baseline: plain COPY of eventstore_domainevent alone ({base_rows:,} rows, "
            f"{base_bytes / GB:.2f} GB in SQLite) in {base_seconds:.0f} s = "
            f"{base_per_gb / 60:.2f} min per GB"
        )
        print(f"ratio (ours per GB / baseline per GB): {ours_per_gb / base_per_gb:.2f}")
    finally:
        with psycopg.connect(base, autocommit=True) as c:
            for name in (target_db, baseline_db):
                c.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
