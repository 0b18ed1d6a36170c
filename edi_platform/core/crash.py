"""Test-only crash points: kill this process with SIGKILL at a named step.

The crash-safety tests stop a real worker between two steps the way a power cut or an OOM
kill would (no cleanup, no exception handlers, no rollback hooks), then check that recovery
leaves nothing half-done. ``OUTBOUND_CRASH_AT=<step>`` arms the points of outbound assembly,
``INBOUND_CRASH_AT=<step>`` those of ingest (see each room's docstring for its steps). Unset
in production: a check is one settings lookup.
"""

from __future__ import annotations

import os
import signal

from django.conf import settings

__all__ = ["crash_point"]


def crash_point(setting: str, name: str) -> None:
    """Kill this process right here when the setting ``setting`` names the step ``name``."""
    if getattr(settings, setting, "") == name:
        os.kill(os.getpid(), signal.SIGKILL)
