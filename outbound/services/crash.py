"""Test-only crash points: ``OUTBOUND_CRASH_AT=<name>`` kills the process there with SIGKILL.

Used by the crash-safety tests to stop a real worker between two steps of assembly, the
way a power cut or an OOM kill would (no cleanup, no exception handlers, no rollback hooks).
Unset in production (the setting ``OUTBOUND_CRASH_AT``, read from the environment).
"""

from __future__ import annotations

import os
import signal

from django.conf import settings

CRASH_POINTS = ("after_claim", "after_allocation", "after_write", "before_commit")


def crash_point(name: str) -> None:
    """Kill this process right here when ``OUTBOUND_CRASH_AT`` names this point."""
    if name == settings.OUTBOUND_CRASH_AT:
        os.kill(os.getpid(), signal.SIGKILL)
