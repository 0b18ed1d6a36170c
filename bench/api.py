"""HTTP API benchmark (issue 19), on PostgreSQL, members projected: the API over HTTP beside
the bare query it stands on, in the same run.

    TEST_PG_FSYNC=on scripts/with-test-services.sh .venv/bin/python bench/api.py
    ... bench/api.py --members 1000000 --lookups 2000 --pages 500 --realtime 300

What it does, on a database of its own:

1. writes ``--members`` subscribers (default 1,000,000) straight into the member and
   enrollment projections with COPY (one coverage each; 1 in 10 ended 30 days ago; plans
   GOLD / SILVER / BRONZE), then ANALYZE — the projections as the projector leaves them,
   without the events (the read side never replays them);
2. starts gunicorn (``--workers``, default 2; each with the connection pool, as in
   production) on a free loopback port, with a staff token
   and a partner key (throttle off for the run; its counts in Redis when ``TEST_REDIS_URL``
   is set, else the database table);
3. member lookup with ``as_of``: ``GET /api/v1/members?subscriber_id=&as_of=`` over HTTP
   (one keep-alive connection) beside ``members_by_identifier`` in-process (the ORM/SQL it
   runs);
4. a page of active enrollments: ``GET /api/v1/enrollments/active?plan=&page_size=50`` (the
   first page and following cursor pages) beside the same queryset evaluated in-process;
5. real time 270 → 271 over HTTP (raw X12, a new interchange and member each time: ingest,
   lookup, 271 staged, assembled, validated, stored, access record) beside the bare lookup
   of the same member.

Figures are printed (p50 / p95 / p99 in ms), never asserted. The machine is shared: run
twice before believing a difference.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode, urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _own_db import own_database  # noqa: E402  (bench/ is the script's folder)

DB = own_database(
    "api",
    ALLOWED_HOSTS="127.0.0.1,localhost",
    SECURE_SSL_REDIRECT="false",
    STATICFILES_MANIFEST="false",
    API_THROTTLE_RATE="1000000/s",
    API_CACHE_URL=os.environ.get("TEST_REDIS_URL", ""),
)
STORAGE = DB.storage

import django  # noqa: E402

django.setup()

import logging  # noqa: E402

logging.disable(logging.WARNING)

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from api.keys.services import api_key_create  # noqa: E402
from edi_platform.partners.models import TradingPartner  # noqa: E402
from eventstore.ledger.events.mapping_834 import member_aggregate_id  # noqa: E402
from eventstore.ledger.lookup import members_by_identifier  # noqa: E402
from eventstore.ledger.models import Enrollment, Member  # noqa: E402
from eventstore.ledger.selectors import active_enrollments  # noqa: E402
from tests.support.synthetic_270 import build_270, subscriber  # noqa: E402

SPONSOR, PROVIDER = "SPONSOR", "PROV01"
PLANS = ("GOLD", "SILVER", "BRONZE")
LAST = ("SMITH", "JONES", "BROWN", "TAYLOR", "WILSON", "DAVIES", "EVANS", "THOMAS")
FIRST = ("ALEX", "SAM", "JO", "CHRIS", "PAT", "LEE", "ROBIN", "DANA")


def person(n: int) -> tuple[str, str, str, dt.date]:
    """(subscriber id, last, first, birth) of generated member ``n`` (deterministic)."""
    birth = dt.date(1950, 1, 1) + dt.timedelta(days=(n * 37) % 20000)
    return f"S{n:09d}", LAST[n % len(LAST)], FIRST[(n // 8) % len(FIRST)], birth


def copy_members(count: int) -> None:
    today = dt.date.today()
    member_cols = [f.column for f in Member._meta.concrete_fields]
    enrol_cols = [f.column for f in Enrollment._meta.concrete_fields if f.column != "id"]
    with connection.cursor() as cursor:
        raw = cursor.connection
        with raw.cursor() as cur:
            with cur.copy(
                f"COPY {Member._meta.db_table} ({', '.join(member_cols)}) FROM STDIN"
            ) as copy:
                for n in range(count):
                    sid, last, first, birth = person(n)
                    ended = n % 10 == 0
                    begin = dt.date(2020, 1, 1)
                    end = today - dt.timedelta(days=30) if ended else None
                    row = {
                        "aggregate_id": member_aggregate_id(SPONSOR, sid, "self"),
                        "partner_code": SPONSOR,
                        "subscriber_id": sid,
                        "member_ref": "",
                        "is_subscriber": True,
                        "relationship": "18",
                        "last_name": last,
                        "first_name": first,
                        "middle_name": "",
                        "birth_date": birth,
                        "gender": "F" if n % 2 else "M",
                        "address_line1": "100 MAIN ST",
                        "address_line2": "",
                        "city": "SPRINGFIELD",
                        "state": "IL",
                        "postal_code": "62701",
                        "group_policy": "GRP001",
                        "benefit_status": "A",
                        "maintenance_reason": "28",
                        "terminated": False,
                        "eligibility_begin": None,
                        "eligibility_end": None,
                        "coverage_begin": begin,
                        "coverage_end": end,
                        "version": 1,
                        "last_position": 0,
                    }
                    copy.write_row([row[c] for c in member_cols])
            with cur.copy(
                f"COPY {Enrollment._meta.db_table} ({', '.join(enrol_cols)}) FROM STDIN"
            ) as copy:
                for n in range(count):
                    sid = person(n)[0]
                    ended = n % 10 == 0
                    row = {
                        "coverage_key": "HLT",
                        "plan": PLANS[n % 3],
                        "coverage_level": "IND",
                        "benefit_begin": dt.date(2020, 1, 1),
                        "benefit_end": today - dt.timedelta(days=30) if ended else None,
                        "terminated": False,
                        "maintenance_reason": "28",
                        "version": 1,
                        "last_position": 0,
                        "member_id": member_aggregate_id(SPONSOR, sid, "self"),
                    }
                    copy.write_row([row[c] for c in enrol_cols])
        cursor.execute(f"ANALYZE {Member._meta.db_table}")
        cursor.execute(f"ANALYZE {Enrollment._meta.db_table}")


def percentiles(samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    q = statistics.quantiles(ms, n=100, method="inclusive")
    return f"p50 {q[49]:7.2f}  p95 {q[94]:7.2f}  p99 {q[98]:7.2f} ms  (n={len(ms)})"


def ratio(http_times: list[float], orm_times: list[float]) -> str:
    """The API's overhead as a ratio over the bare query of the same run (p50, p95)."""
    h = statistics.quantiles(http_times, n=100, method="inclusive")
    o = statistics.quantiles(orm_times, n=100, method="inclusive")
    return f"HTTP/ORM  p50 {h[49] / o[49]:5.1f}x  p95 {h[94] / o[94]:5.1f}x"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Http:
    def __init__(self, port: int, secret: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {"Authorization": f"Api-Key {secret}", "Host": "127.0.0.1"}

    def get(self, path: str) -> tuple[int, bytes]:
        self.conn.request("GET", path, headers=self.headers)
        response = self.conn.getresponse()
        return response.status, response.read()

    def post(self, path: str, body: bytes, content_type: str) -> tuple[int, bytes]:
        self.conn.request(
            "POST", path, body=body, headers={**self.headers, "Content-Type": content_type}
        )
        response = self.conn.getresponse()
        return response.status, response.read()


def timed(fn, *args):
    started = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--realtime", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    TradingPartner.objects.create(
        code=SPONSOR,
        name="Sponsor",
        their_isa_qualifier="ZZ",
        their_isa_id="SENDER",
        our_isa_qualifier="ZZ",
        our_isa_id="EDIPLATFORM",
        their_gs_code="SENDER",
        our_gs_code="EDIPLATFORM",
    )
    TradingPartner.objects.create(
        code=PROVIDER,
        name="Provider",
        their_isa_qualifier="ZZ",
        their_isa_id="PROVIDER01",
        our_isa_qualifier="ZZ",
        our_isa_id="EDIPLATFORM",
        their_gs_code="PROVIDER01",
        our_gs_code="EDIPLATFORM",
    )
    started = time.perf_counter()
    copy_members(args.members)
    print(f"members projected with COPY: {args.members:,} in {time.perf_counter() - started:.1f} s")
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_superuser("bench", "", "bench-password-0")
    staff = api_key_create(name="bench", user=user, acting_user=None).secret
    provider = api_key_create(
        name="bench", partner=TradingPartner.objects.get(code=PROVIDER), acting_user=None
    ).secret
    connection.close()

    port = free_port()
    log = open(Path(STORAGE) / "gunicorn.log", "wb")  # noqa: SIM115
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "edi_platform.wsgi",
            "-w",
            str(args.workers),
            "-b",
            f"127.0.0.1:{port}",
            "--keep-alive",
            "30",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        # the web processes use the connection pool, as in production (README: DATABASE_POOL)
        env={**os.environ, "DATABASE_POOL": "true", "DATABASE_POOL_MAX_SIZE": "4"},
        stdout=log,
        stderr=log,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if Http(port, staff).get("/api/v1/files")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                sys.exit("gunicorn did not answer in 60 s (see gunicorn.log)")
            time.sleep(0.5)
        run(args, port, staff, provider)
    finally:
        server.terminate()
        server.wait(timeout=30)
        connection.close()
        DB.drop()


def run(args, port: int, staff: str, provider: str) -> None:
    rng = random.Random(19)
    as_of = (dt.date.today() - dt.timedelta(days=60)).isoformat()
    api = Http(port, staff)
    print(f"gunicorn: {args.workers} workers, one keep-alive client connection")

    # 1. member lookup with as_of
    ids = [person(rng.randrange(args.members))[0] for _ in range(args.lookups)]
    http_times, orm_times = [], []
    for sid in ids[:50]:  # warm both
        api.get(f"/api/v1/members?{urlencode({'subscriber_id': sid, 'as_of': as_of})}")
        members_by_identifier(identifiers=[sid], partner_codes=[SPONSOR])
    for sid in ids:
        t, (code, body) = timed(
            api.get, f"/api/v1/members?{urlencode({'subscriber_id': sid, 'as_of': as_of})}"
        )
        assert code == 200 and sid.encode() in body, (code, body[:200])
        http_times.append(t)
        t, found = timed(
            lambda s=sid: members_by_identifier(identifiers=[s], partner_codes=[SPONSOR])
        )
        assert found
        orm_times.append(t)
    print(f"member lookup (as_of)   HTTP  {percentiles(http_times)}")
    print(f"                        ORM   {percentiles(orm_times)}")
    print(f"                        {ratio(http_times, orm_times)}")

    # 2. a page of active enrollments (first pages and cursor pages)
    http_times, orm_times = [], []
    today = dt.date.today()
    next_path = None
    for i in range(args.pages):
        plan = PLANS[i % 3]
        path = next_path or f"/api/v1/enrollments/active?plan={plan}&page_size=50"
        t, (code, body) = timed(api.get, path)
        assert code == 200, (code, body[:200])
        http_times.append(t)
        page = json.loads(body)
        nxt = page.get("next")
        next_path = (urlparse(nxt).path + "?" + urlparse(nxt).query) if nxt and i % 5 else None
        t, rows = timed(
            lambda p=plan: list(
                active_enrollments(today=today, partner_code="").filter(plan=p).order_by("id")[:51]
            )
        )
        assert len(rows) == 51
        orm_times.append(t)
    print(f"active enrollments page HTTP  {percentiles(http_times)}")
    print(f"                        ORM   {percentiles(orm_times)}")
    print(f"                        {ratio(http_times, orm_times)}")

    # 3. real time 270 -> 271 over HTTP
    rt = Http(port, provider)
    http_times, orm_times = [], []
    for i in range(args.realtime):
        n = rng.randrange(args.members)
        sid, last, first, birth = person(n)
        data = build_270(
            [subscriber(sid, last=last, first=first, birth=birth.strftime("%Y%m%d"))],
            isa13=10_000 + i,
            sender="PROVIDER01",
            date=today.strftime("%Y%m%d"),
        )
        t, (code, body) = timed(
            rt.post, "/api/v1/realtime/eligibility", data, "application/edi-x12"
        )
        assert code == 200 and b"ST*271*" in body, (code, body[:300])
        if i >= 5:  # the first few warm the workers
            http_times.append(t)
        t, _ = timed(lambda s=sid: members_by_identifier(identifiers=[s], partner_codes=[SPONSOR]))
        orm_times.append(t)
    print(f"real-time 270 -> 271    HTTP  {percentiles(http_times)}")
    print(f"  (bare member lookup)  ORM   {percentiles(orm_times)}")
    print(f"                        {ratio(http_times, orm_times)}")
    print("machine: shared, 2 cores, other work running: figures are indicative")


if __name__ == "__main__":
    main()
