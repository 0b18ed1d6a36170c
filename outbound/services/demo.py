"""The `make run` demo loop: ingest our synthetic sample files, then assemble the answers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .assembly import outbound_assemble

DEMO_DIR = Path(__file__).resolve().parent.parent / "demo"


@dataclass
class DemoResult:
    ingested: list[str]
    summary: str


def demo_loop(*, directory: Path = DEMO_DIR) -> DemoResult:
    """Ingest every ``*.x12`` of ``directory`` (idempotent: the same bytes are registered
    once) and assemble every pending outcome right away (windows ignored, for the demo)."""
    from eventstore.inbound.services.ingest import ingest_path

    lines = []
    for path in sorted(directory.glob("*.x12")):
        result = ingest_path(path=path)
        lines.append(f"{path.name}: {_describe(result)}")
    assembled = outbound_assemble(ignore_windows=True)
    return DemoResult(ingested=lines, summary=assembled.summary())


def _describe(result) -> str:
    again = " (already received)" if result.already_received else ""
    return f"batch {result.batch} {result.status}{again}"
