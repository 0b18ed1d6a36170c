"""External code lists that change (CARC, RARC, place of service, claim status 507/508) as
data files with effective dates, their status, and their refresh from an operator's file.

The lists live in ``edi_platform/x12/codelists/NAME.csv`` (or in the directory named by the
environment variable ``EDI_X12_CODE_LISTS_DIR``, where a deployment whose package folder is
read-only keeps refreshed copies; a file there wins). Nothing is fetched at run time:

    python -m edi_platform.x12 codes status
    python -m edi_platform.x12 codes refresh NAME FILE

File format (CSV, UTF-8): ``# key: value`` header lines (name, title, source, as_of,
review_days, complete), then ``code,start,end,description`` rows with ISO dates (end empty
while the code is active). ``complete: no`` marks a subset: a code it does not hold is not
judged (only known codes outside their dates are); ``complete: yes`` makes unknown codes
invalid (IK403 7).
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

__all__ = [
    "LISTS",
    "CodeList",
    "CodeListError",
    "code_list_status",
    "get_list",
    "list_dir",
    "refresh_list",
    "reset_cache",
]

PACKAGE_DIR = Path(__file__).with_name("codelists")
ENV_DIR = "EDI_X12_CODE_LISTS_DIR"
# name -> what it is for people (and the checks that use it)
LISTS: dict[str, str] = {
    "carc": "Claim Adjustment Reason Codes (CAS in 835 and 837 COB)",
    "rarc": "Remittance Advice Remark Codes (835 LQ/MOA/MIA)",
    "pos": "Place of Service codes (837P CLM05-1/SV105, 837D SV303, 270/271 III02)",
    "claim_status_category": "Claim Status Category Codes, 507 (277/277CA STC01-1)",
    "claim_status": "Claim Status Codes, 508 (277/277CA STC01-2)",
}
_NO_START = date(1900, 1, 1)


class CodeListError(ValueError):
    """A code list file that cannot be used (for people: what is wrong and where)."""


@dataclass(frozen=True, slots=True)
class CodeList:
    """One loaded list: code -> (start, end or None, description)."""

    name: str
    codes: dict[str, tuple[date, date | None, str]] = field(repr=False)
    as_of: date | None = None
    review_days: int = 150
    complete: bool = False
    source: str = ""
    path: str = ""

    def lookup(self, code: str, on: date | None) -> str | None:
        """None when ``code`` may be used on ``on`` (or is unknown to a subset list);
        else why not, for people."""
        entry = self.codes.get(code)
        if entry is None:
            return "is not in the code list" if self.complete else None
        start, end, _ = entry
        if on is None:
            return None
        if on < start:
            return f"is not effective before {start.isoformat()}"
        if end is not None and on > end:
            return f"was deactivated after {end.isoformat()}"
        return None


def list_dir() -> Path:
    """Where refreshed lists are written: ``EDI_X12_CODE_LISTS_DIR`` or the package folder."""
    override = os.environ.get(ENV_DIR)
    return Path(override) if override else PACKAGE_DIR


def _path(name: str) -> Path | None:
    for folder in (Path(os.environ[ENV_DIR]) if os.environ.get(ENV_DIR) else None, PACKAGE_DIR):
        if folder is not None and (folder / f"{name}.csv").is_file():
            return folder / f"{name}.csv"
    return None


def _date(text: str, what: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise CodeListError(f"{what}: {text.strip()[:20]!r} is not a YYYY-MM-DD date") from None


def parse(text: str, name: str, origin: str = "") -> CodeList:
    """A code list from its CSV text; raises :class:`CodeListError` with the reason."""
    meta: dict[str, str] = {}
    body: list[str] = []
    for line in text.splitlines():
        if line.startswith("#"):
            key, _, value = line[1:].partition(":")
            meta[key.strip().lower()] = value.strip()
        elif line.strip():
            body.append(line)
    if meta.get("name", name) != name:
        raise CodeListError(f"the file is the {meta['name']!r} list, not {name!r}")
    rows = list(csv.reader(io.StringIO("\n".join(body))))
    if not rows or [c.strip().lower() for c in rows[0][:4]] != [
        "code",
        "start",
        "end",
        "description",
    ]:
        raise CodeListError("the first row must be the header code,start,end,description")
    codes: dict[str, tuple[date, date | None, str]] = {}
    for number, row in enumerate(rows[1:], 2):
        if len(row) < 4:
            raise CodeListError(f"row {number}: four columns expected")
        code = row[0].strip()
        if not code or len(code) > 30:
            raise CodeListError(f"row {number}: empty or overlong code")
        start = _date(row[1], f"row {number} start") if row[1].strip() else _NO_START
        end = _date(row[2], f"row {number} end") if row[2].strip() else None
        if end is not None and end < start:
            raise CodeListError(f"row {number}: ends before it starts")
        codes[code] = (start, end, row[3].strip())
    if not codes:
        raise CodeListError("no codes in the file")
    as_of = _date(meta["as_of"], "as_of") if meta.get("as_of") else None
    try:
        review_days = int(meta.get("review_days", "150"))
    except ValueError:
        raise CodeListError("review_days must be a number of days") from None
    return CodeList(
        name=name,
        codes=codes,
        as_of=as_of,
        review_days=review_days,
        complete=meta.get("complete", "no").lower() in ("yes", "true", "1"),
        source=meta.get("source", ""),
        path=origin,
    )


_cache: dict[str, tuple[float, CodeList | None]] = {}
_checked: dict[str, tuple[float, Path, CodeList | None]] = {}  # name -> (when, dir, list)
_lock = threading.Lock()
RECHECK_SECONDS = 2.0  # a refreshed file is seen within this time, without a stat per code


def get_list(name: str) -> CodeList | None:
    """The list ``name`` (loaded once per file version), or None when it is missing or
    unusable (:func:`code_list_status` says why; the checks using it are then skipped)."""
    now = time.monotonic()
    recent = _checked.get(name)
    # (the environment and the files are looked at again after RECHECK_SECONDS: reading
    # os.environ for every code checked would cost more than the check)
    # (the package folder is compared by identity: tests point PACKAGE_DIR elsewhere)
    if recent is not None and now - recent[0] < RECHECK_SECONDS and recent[1] is PACKAGE_DIR:
        return recent[2]
    loaded = _load(name)
    _checked[name] = (now, PACKAGE_DIR, loaded)
    return loaded


def reset_cache() -> None:
    """Forget the loaded lists (tests that switch list folders; a refresh does it itself)."""
    _checked.clear()
    _cache.clear()


def _load(name: str) -> CodeList | None:
    path = _path(name)
    if path is None:
        return None
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return None
    key = f"{name}:{path}"
    cached = _cache.get(key)
    if cached is not None and cached[0] == mtime:
        return cached[1]
    with _lock:
        try:
            loaded: CodeList | None = parse(path.read_text("utf-8"), name, str(path))
        except (OSError, UnicodeDecodeError, CodeListError):
            loaded = None
        _cache[key] = (mtime, loaded)
    return loaded


def code_list_status(today: date | None = None) -> list[str]:
    """Warnings for people about the code lists the SNIP type 5 checks use: missing,
    unusable or out of date (older than its review period); [] when all are in order.
    Pure: reads the files, changes nothing (the partner page and ``manage.py check`` show
    these)."""
    today = today or datetime.now(UTC).date()
    warnings: list[str] = []
    for name, purpose in LISTS.items():
        path = _path(name)
        hint = f"python -m edi_platform.x12 codes refresh {name} FILE"
        if path is None:
            warnings.append(f"code list {name} ({purpose}) is missing: its checks are off; {hint}")
            continue
        try:
            loaded = parse(path.read_text("utf-8"), name, str(path))
        except (OSError, UnicodeDecodeError, CodeListError) as exc:
            warnings.append(f"code list {name} cannot be used ({exc}): its checks are off; {hint}")
            continue
        if loaded.as_of is None:
            warnings.append(f"code list {name} has no as_of date: refresh it; {hint}")
        elif (today - loaded.as_of).days > loaded.review_days:
            warnings.append(
                f"code list {name} is out of date (as of {loaded.as_of.isoformat()}, reviewed "
                f"every {loaded.review_days} days): {hint}"
            )
        if not loaded.complete:
            warnings.append(
                f"code list {name} is a subset ({len(loaded.codes)} codes): codes it does not "
                f"hold are not checked; {hint} with the full list"
            )
    return warnings


def refresh_list(name: str, source: Path, *, today: date | None = None) -> Path:
    """Install ``source`` (an operator's CSV in the format above) as list ``name``; the file
    is checked first and written atomically to :func:`list_dir`. Returns the path written.
    Raises :class:`CodeListError` (nothing is changed) when the file cannot be used."""
    if name not in LISTS:
        raise CodeListError(f"unknown list {name!r}; known lists: {', '.join(sorted(LISTS))}")
    try:
        text = source.read_text("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CodeListError(f"cannot read {source}: {exc}") from None
    loaded = parse(text, name, str(source))
    header = {
        "name": name,
        "title": LISTS[name],
        "source": loaded.source or f"refreshed from {source.name}",
        "as_of": (loaded.as_of or today or datetime.now(UTC).date()).isoformat(),
        "review_days": str(loaded.review_days),
        "complete": "yes" if loaded.complete else "no",
    }
    out = io.StringIO()
    for key, value in header.items():
        out.write(f"# {key}: {value}\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["code", "start", "end", "description"])
    for code, (start, end, description) in loaded.codes.items():
        writer.writerow([code, start.isoformat(), end.isoformat() if end else "", description])
    folder = list_dir()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{name}.csv"
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".csv", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(out.getvalue())
        os.replace(tmp, target)
    except OSError:
        Path(tmp).unlink(missing_ok=True)
        raise
    _checked.pop(name, None)  # this process sees the new list at once
    return target
