"""Admin benchmark (issue 20): the home dashboard and every list of the admin, with a year of
data, on PostgreSQL.

    TEST_PG_FSYNC=on scripts/with-test-services.sh .venv/bin/python bench/admin.py
    ... bench/admin.py --partners 50 --members 1000000 --events 10000000 --days 365

What it does, on a database of its own:

1. generates a year of an installation with COPY (indexes and user triggers of the big
   tables dropped during the load and rebuilt after, then ``VACUUM ANALYZE``): partners,
   inbound batches (834, 837, 270; statuses, reports) and their sets, domain events spread
   over the 834 batches in position order, the member and enrollment projections, outcomes
   (TA1, 999, 271; the last hours still owed, some past their SLA), the files sent (one per
   partner, type and day), their control-number counters and audit rows, outbox messages
   (some dead), eligibility inquiries, open alerts, fresh heartbeats;
2. requests, as a logged-in superuser through Django's test client (the whole view:
   queries, template, context processors), the home dashboard ``--repeat`` times and every
   registered admin list ``--repeat`` times, after two warm-up requests each;
3. beside each, in the same run, a floor: for the dashboard a stock admin page (the groups
   list: login, base template, context processors, a query); for a list the raw SQL of its
   first page (``SELECT * ... ORDER BY <the list's ordering> LIMIT 100``).

Figures are printed (p50 / p95 in ms, the target, ratio p95 / floor p95), never asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import re
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _own_db import own_database  # noqa: E402  (bench/ is the script's folder)

DB = own_database(
    "admin",
    LOG_FORMAT="text",
    ALLOWED_HOSTS="testserver",
    SECURE_SSL_REDIRECT="false",
    STATICFILES_MANIFEST="false",
)
BENCH_DB, STORAGE = DB.name, DB.storage
os.environ["INBOUND_INBOX_DIR"] = f"{STORAGE}/inbox"

import django  # noqa: E402

django.setup()

import logging  # noqa: E402

logging.disable(logging.WARNING)

from django.apps import apps  # noqa: E402
from django.contrib import admin  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

NOW = timezone.now().replace(microsecond=0)
R = random.Random(20)
LAST = ("SMITH", "JONES", "BROWN", "GARCIA", "MILLER", "DAVIS", "LOPEZ", "WILSON", "TAYLOR")
FIRST = ("ALEX", "SAM", "JORDAN", "TAYLOR", "CASEY", "RILEY", "MORGAN", "JAMIE", "AVERY")
TYPES = (("834", "BE", 0.25), ("837", "HC", 0.5), ("270", "HS", 0.25))


# -- COPY --------------------------------------------------------------------------------------


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _text(value) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, dict | list):
        value = json.dumps(value, separators=(",", ":"))
    elif isinstance(value, dt.datetime | dt.date):
        value = value.isoformat()
    else:
        value = str(value)
    return value.translate(_ESCAPES)


def copy(label: str, columns: list[str], rows) -> int:
    model = apps.get_model(label)
    table = model._meta.db_table
    n = 0
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as out:
            buffer = []
            for row in rows:
                buffer.append("\t".join(_text(v) for v in row))
                n += 1
                if len(buffer) >= 5000:
                    out.write("\n".join(buffer) + "\n")
                    buffer = []
            if buffer:
                out.write("\n".join(buffer) + "\n")
    return n


def set_sequence(label: str, column: str = "id") -> None:
    table = apps.get_model(label)._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
            f"(SELECT COALESCE(MAX({column}), 1) FROM {table}))"
        )


def unindexed(tables: list[str]) -> list[str]:
    """Drop the secondary indexes and unique constraints of ``tables`` and disable their
    user triggers; returns the statements that put everything back."""
    back = []
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype IN ('u', 'x')",
                [table],
            )
            for name, definition in cursor.fetchall():
                cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
                back.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname "
                "NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
                [table, table],
            )
            for name, definition in cursor.fetchall():
                cursor.execute(f'DROP INDEX "{name}"')
                back.append(definition)
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            back.append(f"ALTER TABLE {table} ENABLE TRIGGER USER")
    return back


# -- the year of data --------------------------------------------------------------------------


def generate(args) -> dict[str, int]:
    from controlnumbers.models import ControlNumberCounter
    from edi_platform.core.services import heartbeat_record, schedules_setup
    from edi_platform.partners.models import TradingPartner

    counts: dict[str, int] = {}
    partners = []
    for i in range(1, args.partners + 1):
        partners.append(
            TradingPartner.objects.create(
                code=f"P{i:03d}",
                name=f"Partner {i}",
                their_isa_qualifier="ZZ",
                their_isa_id=f"SENDER{i:03d}",
                their_gs_code=f"SENDER{i:03d}",
                our_isa_qualifier="ZZ",
                our_isa_id="EDIPLATFORM",
            )
        )
    start = NOW - dt.timedelta(days=args.days)
    per_day = args.files_per_day

    # inbound batches and their sets
    batches = []  # (id, partner index, type, received_at)
    kinds = [t for t, _, share in TYPES for _ in range(int(share * 4))]
    for day in range(args.days):
        for p in range(args.partners):
            for k in range(per_day):
                at = start + dt.timedelta(days=day, seconds=R.randrange(86400))
                batches.append((p, kinds[(day + p + k) % len(kinds)], at))
    batches.sort(key=lambda b: b[2])
    batches = [(i + 1, p, kind, at) for i, (p, kind, at) in enumerate(batches)]
    gs01 = {t: g for t, g, _ in TYPES}
    sets_of = {"834": 2, "837": 5, "270": 1}

    def batch_rows():
        for bid, p, kind, at in batches:
            roll = R.random()
            status = (
                "ACCEPTED"
                if roll < 0.93
                else "PARTIALLY_ACCEPTED"
                if roll < 0.96
                else "REJECTED"
                if roll < 0.99
                else "DUPLICATE"
            )
            n = sets_of[kind]
            report = {
                "verdict": "A",
                "interchanges": [
                    {
                        "isa13": f"{bid:09d}",
                        "ta1_code": "A",
                        "groups": [{"gs01": gs01[kind], "gs06": str(bid), "set_count": n}],
                    }
                ],
            }
            yield (
                bid, f"P{p + 1:03d}_{kind}_{bid:08d}.x12", partners[p].pk,
                uuid.uuid5(uuid.NAMESPACE_OID, str(bid)).hex * 2, 4096 * n,
                f"inbound/partner=P{p + 1:03d}/{bid}.x12", at, "inbox", "ZZ",
                f"SENDER{p + 1:03d}", "ZZ", "EDIPLATFORM", f"{bid:09d}", "", "", "P", status,
                "", None, 1, 0, n, 0, 40, at + dt.timedelta(seconds=1), 30 * n, None, None,
                1, 0, None, "", report,
            )  # fmt: skip

    batch_columns = [
        "id", "original_name", "partner_id", "sha256", "size", "storage_path", "received_at",
        "channel", "sender_qualifier", "sender_id", "receiver_qualifier", "receiver_id",
        "isa13", "isa09", "isa10", "usage_indicator", "status", "status_reason",
        "duplicate_of_id", "groups_accepted", "groups_rejected", "sets_accepted",
        "sets_rejected", "processing_ms", "processed_at", "segment_count", "lease_expires_at",
        "retry_after", "processing_attempts", "reprocess_count", "last_reprocessed_at",
        "last_reprocessed_by", "report",
    ]  # fmt: skip
    big = ["eventstore_transactionheader", "eventstore_domainevent", "eventstore_member",
           "eventstore_enrollment", "controlnumbers_controlnumberaudit"]  # fmt: skip
    restore = unindexed(big)
    counts["batches"] = copy("eventstore.TransactionBatch", batch_columns, batch_rows())
    first_header: dict[int, int] = {}

    def header_rows():
        hid = 0
        for bid, _p, kind, at in batches:
            for s in range(sets_of[kind]):
                hid += 1
                if s == 0:
                    first_header[bid] = hid
                yield (
                    hid, bid, f"{bid:09d}", gs01[kind], str(bid), "005010X", kind,
                    f"{s + 1:04d}", "", 20, 0, 0, 3, "A", [], "ROUTED", "", at,
                )  # fmt: skip

    counts["sets"] = copy(
        "eventstore.TransactionHeader",
        ["id", "batch_id", "isa13", "gs01", "gs06", "gs08", "st01", "st02", "st03",
         "segment_count", "start_offset", "end_offset", "first_line", "verdict",
         "error_summary", "routing_status", "routing_result", "created_at"],
        header_rows(),
    )  # fmt: skip

    # events: member m's k-th event is at position m + k * members (versions in order)
    enrollment_batches = [b for b in batches if b[2] == "834"]
    per_batch = max(1, -(-args.events // len(enrollment_batches)))
    types = ("MemberAdded", "EnrollmentAdded", "EnrollmentAdded", "MemberChanged",
             "EnrollmentChanged")  # fmt: skip

    def event_rows():
        for position in range(1, args.events + 1):
            m = (position - 1) % args.members
            version = (position - 1) // args.members + 1
            bid, _p, _kind, at = enrollment_batches[
                min((position - 1) // per_batch, len(enrollment_batches) - 1)
            ]
            kind = types[min(version - 1, len(types) - 1)] if version <= 3 else types[
                3 + version % 2]  # fmt: skip
            data = (
                {"subscriber_id": f"S{m:08d}", "partner_code": f"P{m % args.partners + 1:03d}",
                 "name": {"last": LAST[m % 9], "first": FIRST[m % 7]}, "relationship": "18"}
                if kind == "MemberAdded"
                else {"coverage_key": "HLT" if version % 2 else "DEN", "plan": "GOLD"}
            )  # fmt: skip
            yield (
                position, uuid.UUID(int=position), "member", f"m-{m:062d}", version, kind, 1,
                data, {"batch_id": bid}, bid, first_header[bid], at, at, False, None,
            )  # fmt: skip

    started = time.perf_counter()
    counts["events"] = copy(
        "eventstore.DomainEvent",
        ["position", "event_id", "aggregate_type", "aggregate_id", "aggregate_version",
         "event_type", "schema_version", "data", "metadata", "batch_id", "header_id",
         "occurred_at", "recorded_at", "is_reversal", "reverses_id"],
        event_rows(),
    )  # fmt: skip
    print(f"  events copied in {time.perf_counter() - started:.0f} s", flush=True)
    per_member = args.events // args.members

    def member_rows():
        for m in range(args.members):
            yield (
                f"m-{m:062d}", f"P{m % args.partners + 1:03d}", f"S{m:08d}", "", True, "18",
                LAST[m % 9], FIRST[m % 7], "", dt.date(1950 + m % 60, 1 + m % 12, 1 + m % 28),
                "F" if m % 2 else "M", "1 MAIN ST", "", "SPRINGFIELD", "IL", "62701", "G1",
                "A", "28", False, dt.date(2024, 1, 1), None, dt.date(2024, 1, 1), None,
                per_member, m + 1 + (per_member - 1) * args.members,
            )  # fmt: skip

    counts["members"] = copy(
        "eventstore.Member",
        ["aggregate_id", "partner_code", "subscriber_id", "member_ref", "is_subscriber",
         "relationship", "last_name", "first_name", "middle_name", "birth_date", "gender",
         "address_line1", "address_line2", "city", "state", "postal_code", "group_policy",
         "benefit_status", "maintenance_reason", "terminated", "eligibility_begin",
         "eligibility_end", "coverage_begin", "coverage_end", "version", "last_position"],
        member_rows(),
    )  # fmt: skip

    def enrollment_rows():
        eid = 0
        for m in range(args.members):
            for key in ("HLT", "DEN")[: 1 + m % 2]:
                eid += 1
                yield (eid, key, "GOLD", "IND", dt.date(2024, 1, 1), None, False, "28", 2, m + 1,
                       f"m-{m:062d}")  # fmt: skip

    counts["enrollments"] = copy(
        "eventstore.Enrollment",
        ["id", "coverage_key", "plan", "coverage_level", "benefit_begin", "benefit_end",
         "terminated", "maintenance_reason", "version", "last_position", "member_id"],
        enrollment_rows(),
    )  # fmt: skip
    from eventstore.models import PositionCounter, ProjectionCheckpoint

    PositionCounter.objects.update_or_create(name="events", defaults={"last_position": args.events})
    ProjectionCheckpoint.objects.update_or_create(
        name="members", defaults={"position": args.events}
    )

    # outcomes and the files sent: one file per partner, response type and day
    owed_after = NOW - dt.timedelta(hours=2)
    outcome_columns = [
        "id", "partner_id", "response_type", "batch_id", "isa13", "gs06", "st02s", "payload",
        "dedupe_key", "status", "created_at", "due_at", "claimed_at", "assembled_at",
        "outbound_file_id", "failure_reason",
    ]  # fmt: skip
    files: dict[tuple[int, str, dt.date], list] = {}
    file_batches: dict[tuple[int, str, dt.date], set] = {}
    outcomes = []
    oid = 0
    for bid, p, kind, at in batches:
        owed = [("999", 5)] + ([("TA1", 0)] if bid % 3 == 0 else [])
        if kind == "270":
            owed.append(("271", 2))
        for rtype, window in owed:
            oid += 1
            pending = at > owed_after
            key = (p, rtype, at.date())
            if not pending:
                files.setdefault(key, []).append(oid)
                file_batches.setdefault(key, set()).add(bid)
            outcomes.append((oid, p, rtype, bid, at, window, pending, key))
    file_ids = {key: uuid.UUID(int=(i + 1) << 64) for i, key in enumerate(sorted(files))}
    counters: dict[tuple[int, str], int] = {}
    numbers: dict[uuid.UUID, tuple[int, int | None, list[int]]] = {}
    for key in sorted(files, key=lambda k: (k[2], k[0], k[1])):
        p, rtype, _day = key
        isa = counters[(p, "ISA")] = counters.get((p, "ISA"), 0) + 1
        gs, st02s = None, []
        if rtype != "TA1":
            gs = counters[(p, "GS")] = counters.get((p, "GS"), 0) + 1
            first = counters.get((p, rtype), 0)
            st02s = list(range(first + 1, first + 1 + len(files[key])))
            counters[(p, rtype)] = first + len(files[key])
        numbers[file_ids[key]] = (isa, gs, st02s)

    def outcome_rows():
        for oid_, p, rtype, bid, at, window, pending, key in outcomes:
            fid = None if pending else file_ids[key]
            yield (
                oid_, partners[p].pk, rtype, bid, f"{bid:09d}", str(bid), ["0001"],
                {"code": "A"}, f"{bid}:{rtype}:{oid_}", "PENDING" if pending else "ASSEMBLED",
                at, at + dt.timedelta(minutes=window), None,
                None if pending else at + dt.timedelta(minutes=window), fid, "",
            )  # fmt: skip

    def file_rows():
        for key, ids in files.items():
            p, rtype, day = key
            fid = file_ids[key]
            isa, gs, st02s = numbers[fid]
            at = dt.datetime.combine(day, dt.time(23, 0), tzinfo=dt.UTC)
            name = f"P{p + 1:03d}_{rtype}_{isa:09d}_{at:%Y%m%dT%H%M%SZ}.edi"
            yield (
                fid, partners[p].pk, rtype, isa, gs, st02s,
                f"outbound/partner=P{p + 1:03d}/transaction={rtype}/date={day}/{name}",
                2048, 10, uuid.uuid5(uuid.NAMESPACE_URL, str(fid)).hex * 2, at, "PUBLISHED", "",
                sorted(file_batches[key]), ids, {}, None, at, at, "",
            )  # fmt: skip

    counts["files"] = copy(
        "outbound.OutboundFile",
        ["id", "partner_id", "transaction_type", "isa13", "gs06", "st02s", "storage_path",
         "size", "segment_count", "sha256", "batch_timestamp", "status", "status_reason",
         "ingestion_ids", "outcome_ids", "envelope", "reprocessed_from_id", "created_at",
         "updated_at", "received_by"],
        file_rows(),
    )  # fmt: skip

    counts["outcomes"] = copy("outbound.ProcessingOutcome", outcome_columns, outcome_rows())

    counter_ids = {}
    for (p, ctype), value in sorted(counters.items()):
        transaction, counter_type = ("*", ctype) if ctype in ("ISA", "GS") else (ctype, "ST")
        counter_ids[(p, ctype)] = ControlNumberCounter.objects.create(
            partner_code=f"P{p + 1:03d}",
            transaction_type=transaction,
            counter_type=counter_type,
            current_value=value,
            issued_count=value,
            last_increment_at=NOW,
        ).pk

    def audit_rows():
        aid = 0
        for key, _ids in files.items():
            p, rtype, day = key
            fid = file_ids[key]
            isa, gs, st02s = numbers[fid]
            at = dt.datetime.combine(day, dt.time(23, 0), tzinfo=dt.UTC)
            entries = [(counter_ids[(p, "ISA")], isa)]
            if gs is not None:
                entries.append((counter_ids[(p, "GS")], gs))
                entries += [(counter_ids[(p, rtype)], n) for n in st02s]
            for counter_id, number in entries:
                aid += 1
                yield (aid, counter_id, number, 1, aid, fid, at, 0, "PERSISTED", "", "system",
                       "")  # fmt: skip

    counts["audit rows"] = copy(
        "controlnumbers.ControlNumberAudit",
        ["id", "counter_id", "number", "epoch", "seq", "outbound_file_id", "issued_at",
         "retry_count", "status", "notes", "actor", "file_name"],
        audit_rows(),
    )  # fmt: skip

    def outbox_rows():
        for i, (key, _ids) in enumerate(files.items()):
            fid = file_ids[key]
            status = "DEAD" if i % 2000 == 7 else "SENT"
            yield (i + 1, fid, "edi-outbound-ready", {"file_id": str(fid)}, status,
                   10 if status == "DEAD" else 1, "", NOW, NOW, NOW, "1-0")  # fmt: skip

    counts["outbox"] = copy(
        "outbound.OutboxMessage",
        ["id", "outbound_file_id", "stream", "payload", "status", "attempts", "last_error",
         "next_attempt_at", "created_at", "sent_at", "redis_message_id"],
        outbox_rows(),
    )  # fmt: skip

    def inquiry_rows():
        iid = 0
        for oid_, p, rtype, bid, at, _w, _pending, _key in outcomes:
            if rtype != "271":
                continue
            for k in range(5):
                iid += 1
                yield (
                    iid, partners[p].pk, bid, first_header[bid], oid_, 10 + k, "subscriber",
                    f"m-{(bid * 5 + k) % args.members:062d}", "1234567893", f"{bid}-{10 + k}",
                    at.date(), "30", "ACTIVE", "", "", "", [["1", "30"]], at,
                )  # fmt: skip

    counts["inquiries"] = copy(
        "outbound.EligibilityInquiry",
        ["id", "partner_id", "batch_id", "header_id", "outcome_id", "position", "level",
         "member_id", "receiver_npi", "trace", "as_of", "service_types", "result", "aaa_loop",
         "aaa_codes", "follow_up", "answer", "answered_at"],
        inquiry_rows(),
    )  # fmt: skip

    print("  rebuilding indexes and triggers ...", flush=True)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for statement in restore:
            cursor.execute(statement)
    print(f"  indexes rebuilt in {time.perf_counter() - started:.0f} s", flush=True)
    for label in ("eventstore.TransactionBatch", "eventstore.TransactionHeader",
                  "eventstore.Enrollment", "outbound.ProcessingOutcome",
                  "controlnumbers.ControlNumberAudit", "outbound.OutboxMessage",
                  "outbound.EligibilityInquiry"):  # fmt: skip
        set_sequence(label)
    from controlnumbers.models import ControlNumberAlert

    for i in range(5):
        ControlNumberAlert.objects.create(
            kind="gap",
            key=f"bench-gap-{i}",
            severity="MINOR",
            message=f"gap {i}",
            first_seen=NOW,
            last_seen=NOW,
        )
    schedules_setup()
    from django_celery_beat.models import PeriodicTask

    PeriodicTask.objects.update(last_run_at=NOW)
    heartbeat_record(hostname="bench")
    call_command("setup_groups", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return counts


# -- measuring --------------------------------------------------------------------------------


def timed(fn, repeat: int) -> list[float]:
    for _ in range(2):
        fn()
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18] if len(values) >= 2 else values[0]


def _column(opts, name: str) -> str:
    if name == "pk":
        return opts.pk.column
    try:
        return opts.get_field(name).column
    except Exception:
        return opts.get_field(name.removesuffix("_id")).column


def measure(args) -> None:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_superuser("bench", "", "pw-bench-12345")
    client = Client()
    client.force_login(user)

    def get(url):
        def run():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            response.content  # noqa: B018  (rendered)

        return run

    for url in args.queries:
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            client.get(url)
            total = (time.perf_counter() - started) * 1000
        spent = sum(float(q["time"]) for q in captured.captured_queries) * 1000
        print(f"{url}: {total:.0f} ms, {len(captured)} queries, {spent:.0f} ms in SQL")
        for q in sorted(captured.captured_queries, key=lambda q: -float(q["time"]))[:5]:
            print(f"  {float(q['time']) * 1000:7.1f} ms  {q['sql'][:300]}")
    rows = []
    page = timed(get(reverse("admin:index")), args.repeat)
    floor = timed(get(reverse("admin:auth_group_changelist")), args.repeat)
    rows.append(("home dashboard", page, 300, floor, "a stock admin page (groups)"))
    html = client.get(reverse("admin:index")).content.decode()
    tiles = re.findall(r'id="tile-([\w-]+)" data-ms="([\d.]+)"', html)
    print("dashboard tiles (ms, one request): " + ", ".join(f"{t} {ms}" for t, ms in tiles))
    for model, model_admin in sorted(
        admin.site._registry.items(), key=lambda kv: kv[0]._meta.label
    ):
        opts = model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        ordering = [o for o in (model_admin.get_ordering(None) or opts.ordering or ["-pk"])
                    if isinstance(o, str)] or ["-pk"]  # fmt: skip
        order_sql = ", ".join(
            f'"{_column(opts, o.lstrip("-"))}"{" DESC" if o.startswith("-") else ""}'
            for o in ordering
        )

        def raw(table=opts.db_table, order=order_sql):
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT * FROM {table} ORDER BY {order} LIMIT 100")
                cursor.fetchall()

        try:
            page = timed(get(url), args.repeat)
        except AssertionError as exc:
            print(f"  {opts.label}: not measured ({exc})")
            continue
        rows.append((f"list {opts.label}", page, 500, timed(raw, args.repeat), "raw first page"))
    extra = [
        ("search '000004711'", reverse("console-search") + "?q=000004711"),
        ("gap report (30 days)", reverse("admin:controlnumbers_gap_report")),
    ]
    for name, url in extra:
        rows.append((name, timed(get(url), max(5, args.repeat // 4)), None, None, ""))
    print()
    print(f"{'page':<48} {'p50 ms':>8} {'p95 ms':>8} {'target':>7} {'floor p95':>10} ratio")
    for name, values, target, floor_values, _what in rows:
        floor95 = p95(floor_values) if floor_values else None
        print(
            f"{name:<48} {statistics.median(values):8.1f} {p95(values):8.1f} "
            f"{(f'< {target}' if target else ''):>7} "
            f"{(f'{floor95:.1f}' if floor95 is not None else ''):>10} "
            f"{(f'{p95(values) / floor95:.1f}x' if floor95 else '')}"
        )
    over = [name for name, values, target, _f, _w in rows if target and p95(values) >= target]
    print()
    print("over target: " + (", ".join(over) if over else "none"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--partners", type=int, default=50)
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--files-per-day", type=int, default=4, help="per partner")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument(
        "--queries", action="append", default=[], help="print the slowest queries of this URL"
    )
    args = parser.parse_args()
    print(
        f"admin bench on {BENCH_DB}: {args.partners} partners, {args.members:,} members, "
        f"{args.events:,} events, {args.days} days, {args.files_per_day} files/partner/day"
    )
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    counts = generate(args)
    print(f"generated in {time.perf_counter() - started:.0f} s: "
          + ", ".join(f"{k} {v:,}" for k, v in counts.items()))  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        print(f"database size: {cursor.fetchone()[0]}")
    measure(args)


if __name__ == "__main__":
    try:
        main()
    finally:
        connection.close()
        DB.drop()
