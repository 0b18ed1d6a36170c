"""Engine-level limits: how much one validation may read and keep (issue 14 #4).

A legal but enormous input must end in a clear rejection, not exhaust the machine. The
limits on what is *read* stop validation with a reason the caller turns into a TA1 (the
interchange in which the limit was reached is rejected, TA105 024) and a batch reason
(``ValidationReport.limit_exceeded`` / ``limit_message``). The limits on what is *kept*
(stored findings) never change a verdict: findings beyond them are counted, not stored.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_MAX_ISSUES", "DEFAULT_MAX_ISSUES_PER_SET", "Limits"]

# A 999 with more IK3s than this per set helps nobody; the verdict stays exact.
DEFAULT_MAX_ISSUES_PER_SET = 100
# Findings (IK3s) kept over the whole report: beyond it sets keep their IK5 codes and a
# count of the findings left out (~0.3 KiB per rejected set instead of ~1 KiB per finding).
DEFAULT_MAX_ISSUES = 20_000


@dataclass(frozen=True, slots=True)
class Limits:
    """What one validation may read (None = unlimited) and keep."""

    max_file_bytes: int | None = None
    max_interchanges: int | None = None
    max_sets: int | None = None
    max_issues_per_set: int = DEFAULT_MAX_ISSUES_PER_SET
    max_issues: int = DEFAULT_MAX_ISSUES

    def message(self, name: str) -> str:
        """The reason for people when limit ``name`` stopped validation."""
        value = getattr(self, name)
        what = {
            "max_file_bytes": f"the file is larger than {value:,} bytes",
            "max_interchanges": f"the file holds more than {value:,} interchanges",
            "max_sets": f"the file holds more than {value:,} transaction sets",
        }[name]
        return f"{what} (limit {name}); the rest of the file was not read"
