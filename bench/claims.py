"""Benchmark: the claim registry and the 277CA, against the same ingest with the registry off.

Run on a throwaway PostgreSQL (started and stopped by the script wrapper):

    TEST_PG_FSYNC=on scripts/with-test-services.sh .venv/bin/python bench/claims.py
    scripts/with-test-services.sh .venv/bin/python bench/claims.py --big-mb 10   # quicker

What it does, all in one run:

1. migrates the database, onboards the synthetic sender and a plan sponsor, and enrols the
   837s' subscriber through an 834 (so the claims are judged against a real member and
   accepted: the full path, claim control numbers and REF*1K included);
2. generates, twice each (other ISA13s and claim ids, so nothing is a duplicate):
   a 10,000-claim 837P (10 sets of 1,000 claims, the shape of a clearinghouse batch), the
   100 MB 837P of ``bench/ingest.py`` (one claim per set, imported from there), and a
   100 MB 837P of 1,000-claim sets;
3. ingests each file in its own child process, once with the 837 handler unregistered
   (registry off: "accepted, no handler", what ingest did before) and once with it (every
   claim recorded and judged, a 277CA staged per set), and prints the ratio on / off and
   the claims recorded per second (claims / the extra time, and claims / the whole ingest);
4. assembles the 277CAs of the 10,000-claim file (windows ignored) in a child and prints the
   time, with the render / validation (X214 guide) / storage shares.

Nothing is asserted: the figures are printed for people to compare. ``BENCH_PROFILE=on``
(or ``off``) profiles that phase's ingests with cProfile into ``/tmp/bench-claims-*.prof``.
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

BENCH = Path(__file__).resolve().parent
sys.path.append(str(BENCH))
sys.path.insert(0, str(BENCH.parent))

from ingest import SENDER, _django, generate_big  # noqa: E402  (bench/ingest.py)

SPONSOR = "BENCHSPONSOR"


SUBSCRIBERS = 100  # enrolled members the claims take turns naming (one subscriber loop each)


def _subscriber_id(n: int) -> str:
    return f"SYNTH{n % SUBSCRIBERS + 1:04d}"


def generate_batches(path: Path, *, claims: int, per_set: int, isa13: int, nonce: str) -> int:
    """An 837P of ``claims`` one-line claims in sets of ``per_set`` (one provider per set,
    each claim under its own subscriber loop, the subscribers taking turns: a subscriber
    loop holds at most 100 claims). Returns the number of claims."""
    from tests.support.synthetic_837 import Claim, Line, Person, Provider, build_837

    people = [
        Person(id=_subscriber_id(n), last="TESTLAST", first="TESTFIRST", birth="19800101")
        for n in range(SUBSCRIBERS)
    ]
    sets, made = [], 0
    while made < claims:
        n = min(per_set, claims - made)
        batch = [
            Claim(
                pcn=f"C{nonce}{made + k}"[:38],
                subscriber=people[(made + k) % SUBSCRIBERS],
                lines=[Line()],
            )
            for k in range(n)
        ]
        sets.append([Provider(claims=batch)])
        made += n
    path.write_bytes(build_837("P", sets, isa13=isa13, sender=SENDER))
    return made


def generate_batches_mb(path: Path, *, megabytes: int, per_set: int, isa13: int, nonce: str) -> int:
    """About ``megabytes`` MB of 1,000-claim sets (each claim with its subscriber loop is
    about 280 bytes)."""
    return generate_batches(
        path, claims=megabytes * 1024 * 1024 // 280, per_set=per_set, isa13=isa13, nonce=nonce
    )


# -- phases (each in a child process) -----------------------------------------------------------


def phase(name: str, path: str) -> dict:
    _django()
    from edi_platform import x12
    from eventstore.inbound.hooks import unregister_handler
    from eventstore.inbound.services.ingest import ingest_path
    from outbound.models import Claim

    x12.validate(BENCH.parent / "tests" / "fixtures" / "inbound" / "837p_valid.x12")  # warm-up
    if name == "assemble":
        return _assemble()
    if name == "off":
        unregister_handler("837")  # "accepted, no handler": ingest as it was before claims
    profiler = None
    if os.environ.get("BENCH_PROFILE") == name:  # e.g. BENCH_PROFILE=on: where the time goes
        import cProfile

        # CPU time, not wall-clock: on a shared machine waiting is not this process's cost
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
    started = time.perf_counter()
    cpu = time.process_time()
    result = ingest_path(path=path, channel="command")
    seconds = time.perf_counter() - started
    if profiler is not None:
        import pstats

        profiler.disable()
        stats = pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative")
        stats.dump_stats(f"/tmp/bench-claims-{name}-{os.getpid()}.prof")
    claims = Claim.objects.filter(batch_id=result.batch).count()
    accepted = Claim.objects.filter(batch_id=result.batch, status="ACCEPTED").count()
    return {
        "phase": name,
        "status": result.status,
        "seconds": seconds,
        "cpu_seconds": time.process_time() - cpu,
        "claims": claims,
        "accepted": accepted,
        "peak_rss_mb": _peak_rss_mb(),
    }


def _peak_rss_mb() -> float:
    """This process's peak RSS. ``ru_maxrss`` keeps the parent's peak across fork and exec
    (the parent held the generated 100 MB files: every phase showed its 764 MB); the
    kernel's VmHWM is this program's own."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _assemble() -> dict:
    from outbound.models import ProcessingOutcome
    from outbound.services.assembly import outbound_assemble

    pending = ProcessingOutcome.objects.filter(response_type="277CA", status="PENDING")
    sets = pending.count()
    started = time.perf_counter()
    result = outbound_assemble(ignore_windows=True, response_type="277CA")
    seconds = time.perf_counter() - started
    t = result.times
    return {
        "phase": "assemble",
        "sets": sets,
        "files": result.persisted,
        "quarantined": result.quarantined,
        "seconds": seconds,
        "render": t.render,
        "validation": t.validation,
        "storage": t.storage,
        "allocation": t.allocation + t.claim + t.finish,
    }


def run_child(name: str, path: Path | str = "") -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--phase", name, "--file", str(path)],
        capture_output=True,
        text=True,
        cwd=BENCH.parent,
    )
    if out.returncode:
        sys.exit(f"phase {name} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _setup() -> None:
    from django.core.management import call_command

    from edi_platform.partners.models import TradingPartner
    from eventstore.inbound.services.ingest import ingest_bytes
    from eventstore.ledger.services.projections import project_pending
    from tests.support.synthetic_834 import build_834, member

    call_command("migrate", verbosity=0)
    for code, sender in (("BENCH", SENDER), ("BENCHSPONSOR", SPONSOR)):
        TradingPartner.objects.get_or_create(
            code=code,
            defaults=dict(
                name=code,
                their_isa_qualifier="ZZ",
                their_isa_id=sender,
                our_isa_qualifier="ZZ",
                our_isa_id="EDIPLATFORM",
                their_gs_code=sender,
                our_gs_code="EDIPLATFORM",
                usage_indicator="P",
            ),
        )
    # SYNTH0001 is the subscriber of bench/ingest.py's 837P too
    subscribers = [
        member(
            _subscriber_id(n),
            last="TESTLAST",
            first="TESTFIRST",
            birth="19800101",
            coverages=[{"line": "HLT", "plan": "GOLD", "begin": "20200101"}],
        )
        for n in range(SUBSCRIBERS)
    ]
    data = build_834(subscribers, isa13=random.randrange(1, 900_000_000), sender=SPONSOR)
    ingest_bytes(data=data, original_name="bench-enrol.834")
    project_pending()


def _line(label: str, r: dict) -> str:
    return (
        f"  {label:<22} {r['seconds']:8.2f} s (cpu {r['cpu_seconds']:7.2f} s)  "
        f"{r['claims']:>7} claims recorded ({r['accepted']} accepted)  "
        f"peak RSS {r['peak_rss_mb']:6.1f} MB  [{r['status']}]"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--claims", type=int, default=10_000, help="claims of the batch file")
    parser.add_argument("--big-mb", type=int, default=100, help="size of the large 837Ps (MB)")
    parser.add_argument(
        "--only",
        choices=("batch", "big", "bigsets"),
        action="append",
        help="run only these files (repeatable; default all three); 'batch' includes assembly",
    )
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(phase(args.phase, args.file)))
        return
    if "DATABASE_URL" not in os.environ:
        sys.exit("Set DATABASE_URL (run through scripts/with-test-services.sh, see the docstring)")
    _django()
    _setup()
    work = Path(tempfile.mkdtemp(prefix="edi-bench-claims-"))
    os.environ.setdefault("INBOUND_STORAGE_ROOT", str(work / "inbound"))
    os.environ.setdefault("OUTBOUND_STORAGE_ROOT", str(work / "outbound"))
    nonce = f"{random.randrange(36**6):06d}"
    base = random.randrange(1, 800_000_000)
    started = time.perf_counter()
    files: dict[tuple[str, str], Path] = {}
    counts: dict[str, int] = {}
    for n, mode in enumerate(("off", "on")):
        path = work / f"batch-{mode}.837"
        counts["batch"] = generate_batches(
            path, claims=args.claims, per_set=1000, isa13=base + n, nonce=f"{nonce}{mode}B"
        )
        files[("batch", mode)] = path
        path = work / f"big-{mode}.837"
        counts["big"] = generate_big(path, args.big_mb, base + 10 + n, f"{nonce}{mode}")
        files[("big", mode)] = path
        path = work / f"bigsets-{mode}.837"
        counts["bigsets"] = generate_batches_mb(
            path, megabytes=args.big_mb, per_set=1000, isa13=base + 20 + n, nonce=f"{nonce}{mode}S"
        )
        files[("bigsets", mode)] = path
    os.sync()
    print(
        f"generated in {time.perf_counter() - started:.1f} s under {work}: "
        f"{counts['batch']} claims in sets of 1,000; "
        f"{files[('big', 'on')].stat().st_size / 1e6:.1f} MB with {counts['big']} one-claim "
        f"sets; {files[('bigsets', 'on')].stat().st_size / 1e6:.1f} MB with "
        f"{counts['bigsets']} claims in sets of 1,000"
    )

    kinds = args.only or ["batch", "big", "bigsets"]
    results = {}
    assembly = None
    for kind in ("batch", "big", "bigsets"):
        if kind not in kinds:
            continue
        for mode in ("off", "on"):
            results[(kind, mode)] = run_child(mode, files[(kind, mode)])
        if kind == "batch":
            assembly = run_child("assemble")

    titles = {
        "batch": f"{counts['batch']}-claim 837P (sets of 1,000 claims)",
        "big": f"{args.big_mb} MB 837P, one claim per set (bench/ingest.py's file)",
        "bigsets": f"{args.big_mb} MB 837P, sets of 1,000 claims",
    }
    for kind, title in titles.items():
        if kind not in kinds:
            continue
        off, on = results[(kind, "off")], results[(kind, "on")]
        extra = on["seconds"] - off["seconds"]
        print(f"\n{title}:")
        print(_line("registry off", off))
        print(_line("registry on", on))
        print(
            f"  ratio on / off {on['seconds'] / off['seconds']:.2f} (target <= 1.30 on 100 MB); "
            f"claims recorded per second: {on['claims'] / extra:,.0f} over the extra time, "
            f"{on['claims'] / on['seconds']:,.0f} over the whole ingest (target >= 5,000)"
        )
    a = assembly
    if a is None:
        return
    print(
        f"\n277CA assembly of the {counts['batch']}-claim file: {a['sets']} sets -> {a['files']} "
        f"file(s) ({a['quarantined']} quarantined) in {a['seconds']:.2f} s (target < 10 s): "
        f"render {a['render']:.2f} s, X214 + envelope validation {a['validation']:.2f} s, "
        f"storage {a['storage']:.2f} s, numbers and database {a['allocation']:.2f} s"
    )
    print(
        "  (wall-clock on this machine; the ingest also waits on PostgreSQL, and on a shared "
        "machine on other processes)"
    )


if __name__ == "__main__":
    main()
