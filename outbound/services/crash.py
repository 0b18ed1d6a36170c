"""Test-only crash points: ``OUTBOUND_CRASH_AT=<name>`` kills the process there with SIGKILL.

Used by the crash-safety tests to stop a real worker between two steps of assembly, the
way a power cut or an OOM kill would (no cleanup, no exception handlers, no rollback hooks).
Unset in production: the check is one environment lookup.
"""

from __future__ import annotations

import os
import signal

CRASH_POINTS = ("after_claim", "after_allocation", "after_write", "before_commit")


def crash_point(name: str) -> None:
    """Kill this process right here when ``OUTBOUND_CRASH_AT`` names this point."""
    if os.environ.get("OUTBOUND_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
