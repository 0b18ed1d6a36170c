"""Fuzz the X12 engine and its acknowledgment builders with damaged files.

    python bench/fuzz.py [--cases 20000] [--seed 1] [--no-memory] [--show 5]

Each case takes one of our synthetic fixtures (tests/fixtures/x12) and damages it one way
(truncation, byte flips, separator swaps, dropped or doubled segments, huge numbers, NUL,
non-ASCII digits such as 0xB2, CR/LF changes, inserted bytes, several interchanges, a very
long element). Then, as the ingest path does:

* ``validate(data)`` with every check on (SNIP 3-5 included);
* per interchange the TA1 content and interchange, per acknowledgeable group the 999 content,
  ``ack_999_json`` and the 999 interchange; every ack must pass ``validate_outbound``.

Printed: exceptions (by class and damage kind, never the data), acks that failed our own
guide, and percentiles of the time per case and of its peak traced memory (tracemalloc).
Deterministic for a seed, so a failing case can be reproduced with ``--only N``.
"""

from __future__ import annotations

import argparse
import logging
import random
import sys
import time
import tracemalloc
from collections import Counter
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from edi_platform.x12 import (  # noqa: E402
    Delimiters,
    EnvelopeParams,
    ack_999_content,
    ack_999_json,
    render_999_interchange,
    render_ta1_interchange,
    ta1_content,
    validate,
    validate_outbound,
)

FIXTURES = REPO / "tests" / "fixtures" / "x12"
ENV = EnvelopeParams(
    "ZZ", "US", "ZZ", "THEM", "US", "THEM", "T", Delimiters(), 1, 1, datetime(2026, 1, 1)
)
KINDS = (
    "flip",
    "truncate",
    "swap",
    "drop",
    "duplicate",
    "huge_number",
    "nul",
    "non_ascii_digit",
    "crlf",
    "insert",
    "many",
    "interchanges",
    "long_element",
)
_NUMBER_TARGETS = (b"IEA*", b"GE*", b"SE*", b"GS*", b"ST*", b"CLM*", b"HL*", b"LX*", b"AMT*")


def damage(rng: random.Random, data: bytes, kind: str) -> bytes:
    """``data`` damaged one way (``kind``), reproducibly for the state of ``rng``."""
    n = len(data)
    if kind == "flip":
        pos = rng.randrange(n)
        return data[:pos] + bytes([rng.randrange(256)]) + data[pos + 1 :]
    if kind == "truncate":
        return data[: rng.randrange(n + 1)]
    if kind == "swap":
        a, b = rng.choice([(b"*", b":"), (b"~", b"*"), (b":", b"~"), (b"^", b"*"), (b"~", b"\n")])
        return data.replace(a, b"\x01").replace(b, a).replace(b"\x01", b)
    segments = data.split(b"~")
    if kind in ("drop", "duplicate"):
        i = rng.randrange(len(segments))
        if kind == "drop":
            segments = segments[:i] + segments[i + 1 :]
        else:
            segments = segments[: i + 1] + segments[i:]
        return b"~".join(segments)
    if kind in ("huge_number", "non_ascii_digit"):
        candidates = [
            i for i, s in enumerate(segments) if s.lstrip(b"\r\n").startswith(_NUMBER_TARGETS)
        ]
        i = rng.choice(candidates) if candidates else rng.randrange(len(segments))
        parts = segments[i].split(b"*")
        j = rng.randrange(1, len(parts)) if len(parts) > 1 else 0
        if kind == "huge_number":
            parts[j] = rng.choice([str(2**64).encode(), b"9" * rng.randrange(7, 6000), b"-1"])
        else:
            parts[j] = bytes(rng.choice([0xB2, 0xB3, 0xB9, 0xBC]) for _ in range(rng.randint(1, 3)))
        segments[i] = b"*".join(parts)
        return b"~".join(segments)
    if kind == "nul":
        pos = rng.randrange(n + 1)
        return data[:pos] + b"\x00" * rng.randint(1, 4) + data[pos:]
    if kind == "crlf":
        choice = rng.randrange(3)
        if choice == 0:
            return data.replace(b"~\n", b"~\r\n")
        if choice == 1:
            return data.replace(b"~\n", b"\n")  # line feed as the only terminator
        pos = rng.randrange(n + 1)
        return data[:pos] + b"\r\n" + data[pos:]
    if kind == "insert":
        pos = rng.randrange(n + 1)
        return data[:pos] + rng.randbytes(rng.randint(1, 40)) + data[pos:]
    if kind == "many":
        out = bytearray(data)
        for _ in range(rng.randint(2, 8)):
            out[rng.randrange(n)] = rng.randrange(256)
        return bytes(out)
    if kind == "interchanges":
        return data * rng.randint(2, 5)
    # long_element
    i = rng.randrange(len(segments))
    segments[i] += b"*" + b"A9" * rng.randrange(500, 100_000)
    return b"~".join(segments)


def run_case(data: bytes) -> list[str]:
    """Validate and build every ack as the ingest path would; return guide problems."""
    failures: list[str] = []
    report = validate(data, snip_level=5, code_sets=True)
    report.to_dict()
    for ic in report.interchanges:
        if ic.sender_identified:
            ta1 = render_ta1_interchange([ta1_content(ic)], envelope=ENV)
            failures += [f"TA1: {p}" for p in validate_outbound(ta1)]
        groups = [g for g in ic.groups if g.acknowledgeable and not g.is_acknowledgment]
        for g in groups:
            ack_999_json(g)
        if groups:
            contents = [ack_999_content(g) for g in groups]
            st02s = [f"{k:04d}" for k in range(1, len(contents) + 1)]
            ack = render_999_interchange(contents, envelope=ENV, st02s=st02s)
            failures += [f"999: {p}" for p in validate_outbound(ack)]
    return failures


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def main() -> None:
    """Run the cases and print the figures."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-memory", action="store_true", help="skip tracemalloc (faster)")
    ap.add_argument("--show", type=int, default=5, help="failing case numbers to list per kind")
    ap.add_argument("--only", type=int, default=None, help="run just this case number")
    args = ap.parse_args()
    logging.disable(logging.CRITICAL)  # the engine logs internal errors; we count them here
    bases = [p.read_bytes() for p in sorted(FIXTURES.glob("*.x12"))]
    validate(bases[0])  # compile the guides once, as a worker would
    for base in bases:
        run_case(base)
    exceptions: Counter[tuple[str, str]] = Counter()
    ack_failures: Counter[str] = Counter()
    examples: dict[str, list[int]] = {}
    times: list[float] = []
    peaks: list[float] = []
    started = time.perf_counter()
    cases = range(args.cases) if args.only is None else [args.only]
    for case in cases:
        rng = random.Random(args.seed * 1_000_003 + case)
        kind = KINDS[case % len(KINDS)]
        data = damage(rng, rng.choice(bases), kind)
        if not args.no_memory:
            tracemalloc.start()
        t = time.perf_counter()
        try:
            failures = run_case(data)
        except Exception as exc:  # counted and listed: the point of this script
            exceptions[(type(exc).__name__, kind)] += 1
            examples.setdefault(f"exception {kind}", []).append(case)
            failures = []
        times.append(time.perf_counter() - t)
        if not args.no_memory:
            peaks.append(tracemalloc.get_traced_memory()[1] / 1024)
            tracemalloc.stop()
        if failures:
            ack_failures[kind] += 1
            examples.setdefault(f"invalid ack {kind}", []).append(case)
            if args.only is not None:
                print("\n".join(failures))
    total = time.perf_counter() - started
    print(f"{len(times):,} cases in {total:.1f} s (seed {args.seed})")
    print(f"exceptions: {sum(exceptions.values())}")
    for (name, kind), count in sorted(exceptions.items()):
        print(f"  {name} after {kind}: {count}")
    print(f"acks failing validate_outbound: {sum(ack_failures.values())}")
    for kind, count in sorted(ack_failures.items()):
        print(f"  after {kind}: {count}")
    for label, numbers in sorted(examples.items()):
        print(f"  {label}: cases {numbers[: args.show]}")
    ms = [t * 1000 for t in times]
    print(
        "time per case (ms): "
        + ", ".join(f"p{int(q * 100)} {_pct(ms, q):.2f}" for q in (0.5, 0.9, 0.99))
        + f", max {max(ms):.2f}"
    )
    if peaks:
        print(
            "peak traced memory per case (KiB): "
            + ", ".join(f"p{int(q * 100)} {_pct(peaks, q):,.0f}" for q in (0.5, 0.9, 0.99))
            + f", max {max(peaks):,.0f}"
        )


if __name__ == "__main__":
    main()
