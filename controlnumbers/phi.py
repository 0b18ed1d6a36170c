"""The control-number store holds numbers, counters and file names: no PHI."""

from __future__ import annotations

from edi_platform.core.phi import classify

for label in ("ControlNumberCounter", "ControlNumberAudit", "ControlNumberAlert"):
    classify(f"controlnumbers.{label}")
