"""One-pass streaming validation: envelope rules plus implementation-guide validation per set.

The engine walks the segment stream once.  Each transaction set is handed to the guide
validator as a generator that stops at its SE (or at the envelope segment that proves the SE
missing), so no more than one set's worth of segments is alive at a time, and nothing of the
file is kept in the report beyond summaries and findings.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from itertools import chain
from typing import Any, Literal

from edi_platform.x12 import snip
from edi_platform.x12.codes import (
    AK9_ERROR_CODES,
    FUNCTIONAL_GROUPS,
    IK5_ERROR_CODES,
    SUPPORTED_SETS,
    TA1_NOTE_CODES,
)
from edi_platform.x12.envelope import check_gs, check_isa, check_ta1
from edi_platform.x12.issues import SegmentIssue
from edi_platform.x12.limits import DEFAULT_MAX_ISSUES, DEFAULT_MAX_ISSUES_PER_SET, Limits
from edi_platform.x12.logsafe import exception_summary
from edi_platform.x12.model import GroupHeader, InterchangeHeader
from edi_platform.x12.numbers import ascii_int, clamp, is_ascii_digits, same_count
from edi_platform.x12.reader import SegmentReader, Source
from edi_platform.x12.report import (
    EnvelopeIssue,
    GroupReport,
    InterchangeReport,
    SetReport,
    ValidationReport,
)
from edi_platform.x12.segments import Delimiters, Segment
from edi_platform.x12.set_checks import SetChecker

__all__ = ["MAX_ISSUES_PER_SET", "guides_available", "validate"]

logger = logging.getLogger(__name__)

SET_BUFFER = 20_000  # segments of one set held at once before streaming the rest
MAX_ISSUES_PER_SET = 1000  # hard ceiling over limits.max_issues_per_set (kept for tests)
AK9_COUNT_MAX = 999_999  # AK902-AK904 are N0 1/6
_REJECTING_SET_CODES = frozenset({"1", "2", "3", "4", "6", "7", "23", "I6"})
_SET_ENDERS = frozenset({"ST", "GE", "GS", "IEA", "ISA"})
_READER_TA1_CODES = {
    "isa_truncated": "023",
    "isa_bad_element_separator": "026",
    "isa_bad_terminator": "004",
    "isa_unparseable": "022",
}

Fallback = Literal["nearest", "reject"]

# -- guide integration (the guides package is optional until it lands) ---------------------
_guides_module: Any = None
_guides_loaded = False
_guide_cache: dict[tuple[str, str], tuple[Any, str | None, bool | None]] = {}


def _guides() -> Any:
    global _guides_module, _guides_loaded
    if not _guides_loaded:
        _guides_loaded = True
        try:
            from edi_platform.x12 import guides as module  # optional part of the engine
        except ImportError:
            module = None
        except Exception:  # a broken guides package must not stop envelope validation
            logger.exception("implementation guides unavailable: envelope checks only")
            module = None
        if module is not None and not (
            hasattr(module, "find_guide") and hasattr(module, "validate_set")
        ):
            module = None
        _guides_module = module
    return _guides_module


def guides_available() -> bool:
    """True when implementation-guide validation is installed (else envelope checks only)."""
    return _guides() is not None


def _find_guide(st01: str, version: str) -> tuple[Any, str | None, bool | None]:
    """(guide or None, the guide's version, whether it is the version asked for)."""
    key = (st01, version)
    found = _guide_cache.get(key)  # (one probe per set: the usual case)
    if found is not None:
        return found
    module = _guides()
    guide = None
    if module is not None:
        try:
            guide = module.find_guide(st01, version, fallback="nearest")
        except Exception as exc:  # a guide lookup problem must not stop validation
            logger.error(
                "guide lookup failed for ST01=%s version=%s: %s",
                st01,
                version,
                exception_summary(exc),
            )
            guide = None
    if guide is None:
        _guide_cache[key] = (None, None, None)
    else:
        _guide_cache[key] = (
            guide,
            str(getattr(guide, "version", version)),
            bool(getattr(guide, "version_matched", True)),
        )
    return _guide_cache[key]


def _is_implementation_issue(issue: SegmentIssue) -> bool:
    code = issue.code or "8"
    if code.startswith("I"):
        return True
    return (
        code == "8" and bool(issue.elements) and all(e.code.startswith("I") for e in issue.elements)
    )


class _Engine:
    def __init__(
        self,
        source: Source,
        *,
        is_duplicate: Callable[[InterchangeHeader], bool] | None,
        is_known_receiver: Callable[[str, str], bool] | None,
        version_fallback: Fallback,
        limits: Limits | None = None,
        snip_level: int = 4,
        code_sets: bool = True,
    ) -> None:
        self.limits = limits or Limits()
        self.reader = SegmentReader(source, max_bytes=self.limits.max_file_bytes)
        self.is_duplicate = is_duplicate
        self.is_known_receiver = is_known_receiver
        self.version_fallback = version_fallback
        self.report = ValidationReport(self.reader.name)
        self.pending: Segment | None = None
        self.count = 0
        self._shared: dict[str, str] = {}
        self.snip_level = snip_level
        self.code_sets = code_sets
        self.interchanges_read = 0
        self.sets_read = 0
        self.issues_kept = 0  # IK3s stored in the report (limits.max_issues)
        self._programs: dict[str | None, snip.Program | None] = {}  # SNIP 3-5 by version

    # -- the raw segment iterator, with one segment of push-back -----------------------------
    def _next(self) -> Segment | None:
        seg = self.pending
        if seg is not None:
            self.pending = None
            return seg
        seg = next(self.it, None)
        if seg is not None:
            self.count += 1
        return seg

    def run(self) -> ValidationReport:
        report = self.report
        self.it = iter(self.reader)
        next_segment = self._next
        ic: InterchangeReport | None = None
        group: GroupReport | None = None
        group_st02: set[str] = set()
        gs06_seen: set[str] = set()  # GS06 of this interchange's groups (AK905 19)
        while (seg := next_segment()) is not None:
            sid = seg.id
            if sid == "ISA":
                if ic is not None:
                    if group is not None:
                        self._close_group(group, None)
                    self._ta1(ic, "022", "a new ISA started before the IEA of this one", seg)
                    self._close_interchange(ic, None)
                ic = self._open_interchange(seg)
                report.interchanges.append(ic)
                group = None
                gs06_seen = set()
                self.interchanges_read += 1
                cap = self.limits.max_interchanges
                if cap is not None and self.interchanges_read > cap:
                    self._stop(ic, "max_interchanges", seg)
                    ic = None
                    break
                continue
            if ic is None:
                continue
            ic.segment_count += 1
            if sid == "ST":
                self.sets_read += 1
                cap = self.limits.max_sets
                if cap is not None and self.sets_read > cap:
                    if group is not None:
                        self._close_group(group, None)
                    self._stop(ic, "max_sets", seg)
                    ic = None
                    break
                if group is None:
                    self._ta1(ic, "024", "transaction set outside a functional group", seg)
                    group = GroupReport(GroupHeader(line=seg.line, offset=seg.offset))
                    group.codes.append("3")  # no GS/GE around it
                    ic.groups.append(group)
                    group_st02 = set()
                group.sets.append(self._run_set(seg, ic, group, group_st02))
            elif sid == "GS":
                if group is not None:
                    self._close_group(group, None)
                header = GroupHeader.from_segment(seg)
                group = GroupReport(header)
                group_st02 = set()
                codes, ta1 = check_gs(seg, header)
                group.codes.extend(codes)
                gs06 = header.control_number
                if gs06 in gs06_seen and "6" not in codes:
                    group.codes.append("19")  # GS06 not unique within the interchange
                gs06_seen.add(gs06)
                for issue in ta1:
                    self._add_ta1(ic, issue)
                ic.groups.append(group)
            elif sid == "GE":
                if group is None:
                    self._ta1(ic, "022", "GE without a matching GS", seg)
                else:
                    self._close_group(group, seg)
                    group = None
            elif sid == "IEA":
                if group is not None:
                    self._close_group(group, None)
                    group = None
                self._close_interchange(ic, seg)
                ic = None
            elif sid == "TA1" and group is None:
                ic.other_segments.append(sid)
                for problem in check_ta1(seg):
                    # a TA1 answering one of our interchanges: its errors are ours to note,
                    # not a reason to reject the interchange that carries it (TA104 E)
                    self._add_ta1(
                        ic, _non_fatal(EnvelopeIssue("024", problem, seg.line, seg.offset))
                    )
            elif sid == "SE":
                self._ta1(ic, "022", "SE without a matching ST", seg)
            else:
                self._ta1(ic, "024", f"segment {sid[:3]!r} outside a transaction set", seg)
        if ic is not None:
            if group is not None:
                self._close_group(group, None)
            if self.reader.limit_hit:
                self._stop(ic, "max_file_bytes", None)
            else:
                self._ta1(ic, "023", "the file ended before the IEA", None)
            self._close_interchange(ic, None)
        elif self.reader.limit_hit and report.limit_exceeded is None:
            self._stop(None, "max_file_bytes", None)
        self._finish()
        return report

    def _stop(self, ic: InterchangeReport | None, name: str, seg: Segment | None) -> None:
        """A limit was reached: the interchange being read is rejected (TA105 024) and the
        report says which limit stopped validation."""
        message = self.limits.message(name)
        self.report.limit_exceeded = name
        self.report.limit_message = message
        if ic is not None:
            self._ta1(ic, "024", message, seg)

    # -- interchange -----------------------------------------------------------------------
    def _open_interchange(self, seg: Segment) -> InterchangeReport:
        header = InterchangeHeader.from_segment(seg)
        ic = InterchangeReport(header, self.reader.delimiters, segment_count=1)
        # an ISA of the wrong width (reader.isa_problems) is reported by the element-by-
        # element width check, which names the element and its TA105 code
        for issue in check_isa(
            seg,
            header,
            self.reader.delimiters,
            is_duplicate=_callback(self.is_duplicate),
            is_known_receiver=_callback(self.is_known_receiver),
        ):
            self._add_ta1(ic, issue)
        return ic

    def _ta1(self, ic: InterchangeReport, code: str, detail: str, seg: Segment | None) -> None:
        message = f"{TA1_NOTE_CODES[code]}: {detail}"
        line = seg.line if seg is not None else 0
        offset = seg.offset if seg is not None else self.reader.bytes_read
        self._add_ta1(ic, EnvelopeIssue(code, message, line, offset))

    @staticmethod
    def _add_ta1(ic: InterchangeReport, issue: EnvelopeIssue) -> None:
        if len(ic.issues) < MAX_ISSUES_PER_SET:
            ic.issues.append(issue)
        # TA104/TA105: R with the first fatal finding; E (accepted, errors noted) with the
        # first finding when none is fatal
        if issue.fatal:
            if ic.ta1_code != "R":
                ic.ta1_code, ic.ta1_note = "R", issue.code
        elif ic.ta1_code == "A":
            ic.ta1_code, ic.ta1_note = "E", issue.code

    def _close_interchange(self, ic: InterchangeReport, iea: Segment | None) -> None:
        if iea is None:
            return
        count = iea.get(1)
        # compared as ASCII text: "²" (byte 0xB2) or a 5,000-digit number is simply a
        # wrong count (TA105 021), never an int() failure
        if not same_count(count, len(ic.groups)):
            shown = count[:9] if is_ascii_digits(count[:9]) else "not a number"
            self._ta1(ic, "021", f"IEA01 says {shown} groups, {len(ic.groups)} found", iea)
        if iea.get(2) != ic.header.control_number:
            self._ta1(ic, "001", "IEA02 differs from ISA13", iea)

    # -- group -----------------------------------------------------------------------------
    def _close_group(self, group: GroupReport, ge: Segment | None) -> None:
        received = len(group.sets)
        group.received = received
        group.included = received
        if ge is None:
            if "3" not in group.codes:
                group.codes.append("3")
        else:
            ge01 = ge.get(1)
            # AK902 echoes GE01 but is N0 1/6: a number that cannot be echoed (not ASCII
            # digits, or above 999,999, e.g. 2**64) is answered with the count we received,
            # and the mismatch is AK905 5 either way
            stated = ascii_int(ge01, max_digits=6)
            group.included = stated if stated is not None else clamp(received, AK9_COUNT_MAX)
            if not same_count(ge01, received):
                group.codes.append("5")
            if ge.get(2) != group.header.control_number:
                group.codes.append("4")
        accepted = received - group.sets.rejected
        group.accepted = accepted
        # AK905..AK909 hold at most five codes, in the order found
        group.codes = list(dict.fromkeys(group.codes))[:5]
        for code in group.codes:
            group.issues.append(
                EnvelopeIssue(
                    code,
                    AK9_ERROR_CODES.get(code, "group error"),
                    ge.line if ge else group.header.line,
                    ge.offset if ge else group.header.offset,
                )
            )
        if group.codes or (received and accepted == 0):
            group.ack_code = "R"
        elif accepted < received:
            group.ack_code = "P"
        elif group.sets.errors:
            group.ack_code = "E"
        else:
            group.ack_code = "A"

    def _checker(self, st01: str, version: str | None, ic: InterchangeReport) -> SetChecker:
        """The set's extra checks; SNIP 3-5 only for a set validated against a guide
        (balancing and code sets need to know where the values are)."""
        program = self._programs.get(version)
        if program is None and version is not None and (self.snip_level >= 3 or self.code_sets):
            program = self._programs[version] = snip.program_for(
                version, self.snip_level, self.code_sets
            )
        return SetChecker(st01, version, program=program, delimiters=ic.delimiters)

    # -- transaction set --------------------------------------------------------------------
    def _run_set(
        self,
        st: Segment,
        ic: InterchangeReport,
        group: GroupReport,
        group_st02: set[str],
    ) -> SetReport:
        el = st.elements
        n = len(el)
        st01 = el[0] if n > 0 else ""
        st02 = el[1] if n > 1 else ""
        st03 = el[2] if n > 2 else ""
        shared = self._shared
        st01 = shared.setdefault(st01, st01)  # one copy per distinct value
        st03 = shared.setdefault(st03, st03)
        rep = SetReport(st01, st02, st03, st.line, st.offset)
        codes: list[str] = []
        if not (len(st01) == 3 and is_ascii_digits(st01)):
            codes.append("6")
        elif st01 not in SUPPORTED_SETS:
            codes.append("1")
        elif (
            group.header.functional_id in FUNCTIONAL_GROUPS
            and st01 not in FUNCTIONAL_GROUPS[group.header.functional_id]
        ):
            codes.append("6")
        if not (4 <= len(st02) <= 9) or not st02.isalnum():
            codes.append("7")
        elif st02 in group_st02:
            codes.append("23")
        group_st02.add(st02)

        guide = None
        if not codes:
            version = st03 or group.header.version
            guide, guide_version, matched = _find_guide(st01, version)
            if guide is not None:
                rep.guide = guide_version
                rep.guide_version_matched = matched
                if not matched and self.version_fallback == "reject":
                    codes.append("I6")
                    guide = None
            elif _guides() is not None and "2" not in group.codes:
                # a type we support in a version no guide (nor a nearest one) defines: the
                # partner's policy cannot apply, and an A would assert a conformance nobody
                # checked (a 5010 group's sets only: AK905 2 already answers other versions)
                codes.append("I6")
        checker = self._checker(st01, rep.guide if guide else None, ic)

        it = self.it
        reader_spaced = self.reader.spaced  # blank-led segments, noted by the reader
        if reader_spaced:
            reader_spaced.clear()  # (ST and envelope segments are not this check's)
        # Collect the set in a list (the guide then iterates it at C speed), checking each
        # segment on the way (set_checks: structure and SNIP 3-5); a set longer than
        # SET_BUFFER segments is handed over as list + live generator instead, so even a
        # single-set 200 MB file is never held in memory.
        held: list[Segment] = [st]
        checker.check(st)
        se, self.pending, overflow = checker.collect(it, held, SET_BUFFER)
        streamed = 0
        tail: Iterator[Segment] | None = None
        if overflow:

            def rest() -> Iterator[Segment]:
                # the remainder of an overlong set, straight from the reader
                nonlocal se, streamed
                for seg in it:
                    if seg.id in _SET_ENDERS:
                        self.pending = seg
                        return
                    streamed += 1
                    yield seg
                    if seg.id == "SE":
                        se = seg
                        return

            tail = rest()
        issues: list[SegmentIssue] = []
        # the held segments were checked while collected; an overlong set's rest is checked
        # as it streams past the walker
        body: Iterable[Segment] = held if tail is None else chain(held, checker.observe(tail))
        if guide is not None:
            module = _guides()
            try:
                issues = list(module.validate_set(guide, body, ic.delimiters or Delimiters()))
            except Exception as exc:  # the guide engine must never turn bad data into a crash
                # the class and frames only: the message may quote the set's data (PHI)
                logger.error(
                    "guide validation failed for a %s set at line %d: %s",
                    st01,
                    st.line,
                    exception_summary(exc),
                )
                rep.envelope_issues = [
                    EnvelopeIssue("5", "internal error in guide validation", st.line, st.offset)
                ]
                issues = []
        if tail is not None:
            for _ in body:  # drain (and check) what the guide did not read
                pass
        extra = checker.finish()
        if extra:
            issues = _merge(issues, extra)
        count = len(held) + streamed
        del held
        # ST came through the main loop; the rest (and a pushed-back segment) did not
        self.count += count - 1 + (self.pending is not None)
        rep.segment_count = count
        ic.segment_count += count - 1  # ST was counted by the caller
        spaced = [seg for seg in reader_spaced if seg is not self.pending] if reader_spaced else ()
        for seg in spaced:
            if not any(i.position == seg.index for i in issues):
                issues.append(
                    SegmentIssue(
                        seg.id,
                        seg.index,
                        None,
                        "1",
                        line=seg.line,
                        message="blank before the segment id",
                    )
                )
        if se is None:
            codes.append("2")
        else:
            if not same_count(se.get(1), count):
                codes.append("4")
            if se.get(2) != st02:
                codes.append("3")
        if issues:
            issues.sort(key=lambda i: i.position)
            rejects = any(i.rejects for i in issues)
            codes.append("I5" if all(_is_implementation_issue(i) for i in issues) else "5")
            # findings kept: per set and over the whole report (the rest are counted)
            keep = min(
                self.limits.max_issues_per_set,
                MAX_ISSUES_PER_SET,
                max(0, self.limits.max_issues - self.issues_kept),
            )
            if len(issues) > keep:
                rep.issues_dropped = len(issues) - keep
                self.report.issues_dropped += rep.issues_dropped
                issues = issues[:keep]
            self.issues_kept += len(issues)
            rep.issues = issues
        else:
            rejects = False
        if codes:
            rep.codes = list(dict.fromkeys(codes))[:5]
            rep.envelope_issues = list(rep.envelope_issues)
        for code in rep.codes:
            rep.envelope_issues.append(  # type: ignore[attr-defined]
                EnvelopeIssue(code, IK5_ERROR_CODES.get(code, "set error"), st.line, st.offset)
            )
        if rejects or (rep.codes and any(c in _REJECTING_SET_CODES for c in rep.codes)):
            rep.ack_code = "R"
        elif rep.codes:
            rep.ack_code = "E"
        return rep

    def _finish(self) -> None:
        report = self.report
        reader = self.reader
        report.segment_count = self.count
        report.bytes_read = reader.bytes_read
        for problem in reader.problems:
            if problem.code in _READER_TA1_CODES and reader.broken_isa is not None:
                # an ISA too broken to read on: keep what identifies the sender for a TA1
                header = InterchangeHeader.from_segment(reader.broken_isa)
                ic = InterchangeReport(header, None, broken=True, segment_count=1)
                code = _READER_TA1_CODES[problem.code]
                self._add_ta1(
                    ic,
                    EnvelopeIssue(
                        code,
                        f"{TA1_NOTE_CODES[code]}: {problem.message}",
                        problem.line,
                        problem.offset,
                    ),
                )
                report.interchanges.append(ic)
                continue  # reported as that interchange's TA1 finding
            if not report.interchanges and report.error_code is None:
                report.error_code = problem.code
                report.error = problem.message
            else:
                report.problems.append(
                    EnvelopeIssue(problem.code, problem.message, problem.line, problem.offset)
                )
        if not report.interchanges and report.error_code is None:
            report.error_code = "not_x12"
            report.error = "no interchange found"


def _merge(issues: list[SegmentIssue], extra: list[SegmentIssue]) -> list[SegmentIssue]:
    """The guide's findings plus the set checks': a trailing separator on a segment that
    already has element errors is said in that IK3's message instead of a second IK3."""
    by_position = {i.position: i for i in issues if (i.code or "8") == "8"}
    out = list(issues)
    for issue in extra:
        same = by_position.get(issue.position)
        if same is not None and not issue.elements and issue.snip == 1:
            same.message += "; " + issue.message
        else:
            out.append(issue)
    return out


def _non_fatal(issue: EnvelopeIssue) -> EnvelopeIssue:
    issue.fatal = False
    return issue


class _CallbackFailed(Exception):
    """Carries an exception raised by a caller's callback out through the engine."""

    def __init__(self, original: BaseException) -> None:
        super().__init__(str(original))
        self.original = original


def _callback(fn: Callable[..., bool] | None) -> Callable[..., bool] | None:
    # the caller's own failures (e.g. its database is down) must reach the caller unchanged,
    # not be mistaken for a problem with the file
    if fn is None:
        return None

    def call(*args: Any) -> bool:
        try:
            return fn(*args)
        except Exception as exc:
            raise _CallbackFailed(exc) from exc

    return call


def validate(
    source: Source,
    *,
    is_duplicate: Callable[[InterchangeHeader], bool] | None = None,
    version_fallback: Fallback = "nearest",
    is_known_receiver: Callable[[str, str], bool] | None = None,
    snip_level: int = 4,
    code_sets: bool = True,
    max_file_bytes: int | None = None,
    max_interchanges: int | None = None,
    max_sets: int | None = None,
    max_issues_per_set: int = DEFAULT_MAX_ISSUES_PER_SET,
    max_issues: int = DEFAULT_MAX_ISSUES,
) -> ValidationReport:
    """Read and judge every interchange in ``source`` (bytes, X12 text, path or binary stream).

    * ``is_duplicate(header)`` answers whether ISA13 was already received from that sender
      (TA105 025); the caller owns that history.
    * ``version_fallback``: a GS08/ST03 without its own guide definition is validated against
      the nearest definition (``"nearest"``) or answered with IK502 I6 (``"reject"``).
    * ``is_known_receiver(qualifier, id)`` answers whether ISA07/ISA08 is us (TA105 009).
    * ``snip_level`` (default 4): highest WEDI SNIP type enforced among 3 (balancing) and 4
      (situational rules); types 1-2 (syntax, guide) always run. ``code_sets`` (default
      True): type 5, the external code sets we ship (NPI, ICD-10, CPT/HCPCS, POS, CARC/RARC,
      claim status, states, ZIP, taxonomy); see :func:`code_list_status`.
    * ``max_file_bytes``, ``max_interchanges``, ``max_sets`` (default unlimited): stop with
      ``report.limit_exceeded``/``limit_message`` set and the interchange being read rejected
      (TA1 R 024) instead of reading on. ``max_issues_per_set`` / ``max_issues``: findings
      (IK3s) kept per set and per report; the rest are counted in ``issues_dropped``.

    Never raises on malformed input (exceptions from the callbacks do propagate).  The report
    keeps verdicts, codes, positions and per-set summaries, never the segments.
    """
    engine = _Engine(
        source,
        is_duplicate=is_duplicate,
        is_known_receiver=is_known_receiver,
        version_fallback=version_fallback,
        limits=Limits(max_file_bytes, max_interchanges, max_sets, max_issues_per_set, max_issues),
        snip_level=snip_level,
        code_sets=code_sets,
    )
    try:
        return engine.run()
    except _CallbackFailed as failed:
        raise failed.original from None
    except Exception as exc:
        # defensive: a bug on some odd input must still produce a verdict, not a traceback
        logger.error("x12 validation stopped on an internal error: %s", exception_summary(exc))
        report = engine.report
        report.problems.append(
            EnvelopeIssue("internal", f"validation stopped: {type(exc).__name__}")
        )
        for ic in report.interchanges:
            if ic.ta1_code == "A":
                ic.ta1_code, ic.ta1_note = "R", "024"
        if not report.interchanges:
            report.error_code = "unreadable"
            report.error = "the file could not be validated"
        return report
