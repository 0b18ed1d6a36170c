"""Command line for the X12 engine.

    python -m edi_platform.x12 validate FILE... [--ack-dir DIR] [--format text|json]
                                  [--snip-level N] [--no-code-sets]
    python -m edi_platform.x12 codes status
    python -m edi_platform.x12 codes refresh NAME FILE

Exit status: 0 when every file is accepted, 1 when any is rejected, accepted with errors or not
X12, 2 on usage errors (bad options, missing file).  With ``--ack-dir`` it writes the 999 and
TA1 it would send as NAME.999 and NAME.ta1; each ack interchange of the run takes the next
control number (1, 2, ...) as its ISA13 and GS06 (stand-alone run).
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

from edi_platform.x12.acks import (
    ack_999_content,
    render_999_interchange,
    render_ta1_interchange,
    ta1_content,
    ta1_wanted,
)
from edi_platform.x12.builder import BuildError, EnvelopeParams
from edi_platform.x12.codelists import (
    LISTS,
    CodeListError,
    code_list_status,
    get_list,
    refresh_list,
)
from edi_platform.x12.codes import (
    AK9_ERROR_CODES,
    IK3_ERROR_CODES,
    IK4_ERROR_CODES,
    IK5_ERROR_CODES,
    meaning,
)
from edi_platform.x12.engine import guides_available, validate
from edi_platform.x12.report import ACCEPTED, InterchangeReport, ValidationReport
from edi_platform.x12.segments import Delimiters

# A fixed stamp keeps stand-alone acks reproducible; the platform passes the real time.
STANDALONE_TIMESTAMP = datetime(2000, 1, 1, 0, 0, tzinfo=UTC)


def _element_name(
    segment_id: str, position: int, name: str, component: int | None, repetition: int | None
) -> str:
    label = f"{segment_id}{position:02d}"
    if component is not None:
        label += f"-{component:02d}"
    if repetition is not None:
        label += f" (repetition {repetition})"
    return f"{label} {name}" if name else label


def format_text(report: ValidationReport) -> str:
    """The report for people: one line per finding, named positions and meanings."""
    out = [f"{report.source}: {report.verdict.replace('_', ' ')}"]
    if report.error:
        out.append(f"  {report.error}")
    for p in report.problems:
        out.append(f"  line {p.line}: {p.message}")
    for ic in report.interchanges:
        h = ic.header
        out.append(
            f"  interchange ISA13 {h.control_number or '?'} from {h.sender_qualifier}/"
            f"{h.sender_id} to {h.receiver_qualifier}/{h.receiver_id}: "
            f"TA1 {ic.ta1_code} {ic.ta1_note}"
        )
        for issue in ic.issues:
            where = f"line {issue.line}, " if issue.line else ""
            out.append(f"    {where}{issue.message} — TA105 {issue.code}")
        for g in ic.groups:
            out.append(
                f"    group GS06 {g.header.control_number} ({g.header.functional_id} "
                f"{g.header.version}): AK9 {g.ack_code} {g.included}/{g.received}/{g.accepted}"
            )
            for code in g.codes:
                out.append(f"      {meaning(AK9_ERROR_CODES, code)} — AK905 {code}")
            for s in g.sets:
                guide = ""
                if s.guide is None:
                    guide = ", envelope checks only"
                elif s.guide_version_matched is False:
                    guide = f", checked against {s.guide} (nearest definition)"
                out.append(
                    f"      set {s.id} ST02 {s.control_number} (line {s.line}{guide}): "
                    f"IK5 {s.ack_code}" + (f" {' '.join(s.codes)}" if s.codes else "")
                )
                for code in s.codes:
                    out.append(f"        {meaning(IK5_ERROR_CODES, code)} — IK502 {code}")
                for issue in s.issues:
                    seg_code = issue.code or "8"
                    if (issue.code and issue.code != "8") or not issue.elements:
                        out.append(
                            f"        line {issue.line}, {issue.segment_id} (position "
                            f"{issue.position}"
                            + (f", loop {issue.loop_id}" if issue.loop_id else "")
                            + f"): {meaning(IK3_ERROR_CODES, seg_code).lower()}"
                            f" — IK304 {seg_code}"
                        )
                    for e in issue.elements:
                        value = f" {e.bad_value}" if e.bad_value else ""
                        label = _element_name(
                            issue.segment_id, e.position, e.name, e.component, e.repetition
                        )
                        out.append(
                            f"        line {issue.line}, {label}: "
                            f"{meaning(IK4_ERROR_CODES, e.code).lower()}{value}"
                            f" — IK403 {e.code}"
                        )
                if s.issues_dropped:
                    out.append(f"        ... {s.issues_dropped} more findings not listed")
    return "\n".join(out)


def _ack_envelope(ic: InterchangeReport, control_number: int) -> EnvelopeParams:
    # we answer as the receiver of the inbound interchange, to its sender
    h = ic.header
    d = ic.delimiters or Delimiters()
    rep = d.repetition or "^"
    if rep in (d.element, d.component, d.segment):
        rep = next(c for c in "^{}|!" if c not in (d.element, d.component, d.segment))
    return EnvelopeParams(
        sender_qualifier=(h.receiver_qualifier or "ZZ")[:2].ljust(2),
        sender_id=(h.receiver_id or "UNKNOWN")[:15],
        receiver_qualifier=(h.sender_qualifier or "ZZ")[:2].ljust(2),
        receiver_id=(h.sender_id or "UNKNOWN")[:15],
        sender_gs_code=(h.receiver_id or "UNKNOWN")[:15],
        receiver_gs_code=(h.sender_id or "UNKNOWN")[:15],
        usage_indicator=h.usage if h.usage in ("P", "T", "I") else "P",
        delimiters=Delimiters(d.element, rep, d.component, d.segment),
        isa13=control_number,
        gs06=control_number,
        timestamp=STANDALONE_TIMESTAMP,
        line_break=True,
    )


def write_acks(
    report: ValidationReport,
    ack_dir: Path,
    name: str,
    ta1_policy: str,
    numbers: Iterator[int] | None = None,
) -> list[Path]:
    """Write NAME.999 (groups that are not acknowledgments) and NAME.ta1 when due.

    Each acknowledgment interchange takes the next number of ``numbers`` as its ISA13 and
    GS06 (one counter for the whole run, so no two interchanges we write share an ISA13).
    """
    numbers = numbers if numbers is not None else itertools.count(1)
    written: list[Path] = []
    ta1_parts: list[bytes] = []
    ack_parts: list[bytes] = []
    for ic in report.interchanges:
        try:
            if ta1_wanted(ic, ta1_policy):  # type: ignore[arg-type]
                envelope = _ack_envelope(ic, next(numbers))
                ta1_parts.append(render_ta1_interchange([ta1_content(ic)], envelope=envelope))
            contents = [
                ack_999_content(g)
                for g in ic.groups
                if g.acknowledgeable and not g.is_acknowledgment
            ]
            if contents:
                envelope = _ack_envelope(ic, next(numbers))
                st02s = [f"{n:04d}" for n in range(1, len(contents) + 1)]
                ack_parts.append(render_999_interchange(contents, envelope=envelope, st02s=st02s))
        except BuildError as exc:
            print(f"{name}: cannot build an acknowledgment: {exc}", file=sys.stderr)
    for suffix, parts in ((".999", ack_parts), (".ta1", ta1_parts)):
        if parts:
            path = ack_dir / f"{name}{suffix}"
            path.write_bytes(b"".join(parts))
            written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m edi_platform.x12")
    sub = parser.add_subparsers(dest="command", required=True)
    v = sub.add_parser("validate", help="validate X12 files and optionally write acks")
    v.add_argument("files", nargs="+", metavar="FILE")
    v.add_argument("--ack-dir", type=Path, help="write NAME.999 and NAME.ta1 here")
    v.add_argument("--format", choices=("text", "json"), default="text")
    v.add_argument(
        "--ta1",
        choices=("never", "on_request", "always", "on_error"),
        default="on_request",
        help="TA1 policy for --ack-dir (default: on_request, i.e. ISA14=1)",
    )
    v.add_argument("--version-fallback", choices=("nearest", "reject"), default="nearest")
    v.add_argument(
        "--snip-level",
        type=int,
        choices=range(1, 8),
        default=4,
        metavar="N",
        help="highest WEDI SNIP type enforced among 3-4 (default 4; 1-2 always run)",
    )
    v.add_argument(
        "--no-code-sets", action="store_true", help="skip SNIP type 5 (external code sets)"
    )
    c = sub.add_parser("codes", help="the external code lists SNIP type 5 uses")
    codes_sub = c.add_subparsers(dest="codes_command", required=True)
    codes_sub.add_parser("status", help="missing or out-of-date lists (exit 1 when any)")
    r = codes_sub.add_parser("refresh", help="install a list from a CSV file you supply")
    r.add_argument("name", choices=sorted(LISTS))
    r.add_argument("file", type=Path)
    args = parser.parse_args(argv)
    if args.command == "codes":
        return _codes(args)

    missing = [f for f in args.files if not Path(f).is_file()]
    if missing:
        for f in missing:
            print(f"error: no such file: {f}", file=sys.stderr)
        return 2
    if args.ack_dir is not None and not args.ack_dir.is_dir():
        print(f"error: --ack-dir {args.ack_dir} is not a directory", file=sys.stderr)
        return 2

    if args.format == "text" and not guides_available():
        print("note: implementation guides unavailable, envelope checks only")
    status = 0
    results = []
    numbers = itertools.count(1)  # ISA13/GS06 of the acks written in this run
    for f in args.files:
        report = validate(
            Path(f),
            version_fallback=args.version_fallback,
            snip_level=args.snip_level,
            code_sets=not args.no_code_sets,
        )
        if report.verdict != ACCEPTED:
            status = 1
        if args.format == "json":
            results.append(report.to_dict())
        else:
            print(format_text(report))
        if args.ack_dir is not None:
            for path in write_acks(report, args.ack_dir, Path(f).name, args.ta1, numbers):
                if args.format == "text":
                    print(f"  wrote {path}")
    if args.format == "json":
        json.dump({"files": results}, sys.stdout, indent=1)
        sys.stdout.write("\n")
    return status


def _codes(args: argparse.Namespace) -> int:
    """``codes status`` / ``codes refresh NAME FILE``."""
    if args.codes_command == "status":
        warnings = code_list_status()
        for name in sorted(LISTS):
            loaded = get_list(name)
            if loaded is not None:
                as_of = loaded.as_of.isoformat() if loaded.as_of else "unknown"
                kind = "complete" if loaded.complete else "subset"
                print(f"{name}: {len(loaded.codes)} codes ({kind}), as of {as_of}: {loaded.path}")
        for warning in warnings:
            print(f"warning: {warning}")
        return 1 if warnings else 0
    try:
        path = refresh_list(args.name, args.file)
    except CodeListError as exc:
        print(f"error: {args.file}: {exc} (nothing changed)", file=sys.stderr)
        return 1
    loaded = get_list(args.name)
    count = len(loaded.codes) if loaded is not None else 0
    print(f"{args.name}: {count} codes installed in {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
