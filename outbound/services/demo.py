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
    once) and assemble the answers of the files it just registered right away (windows
    ignored, for the demo). Nothing else is touched: outcomes of real files keep waiting for
    their window, so running it again (a second ``make run``) is safe."""
    from eventstore.inbound.services.ingest import ingest_path

    lines = []
    new_batches = []
    for path in sorted(directory.glob("*.x12")):
        result = ingest_path(path=path)
        lines.append(f"{path.name}: {_describe(result)}")
        if result.batch is not None and not result.already_received:
            new_batches.append(result.batch)
    if not new_batches:
        return DemoResult(ingested=lines, summary="demo files already loaded: nothing assembled")
    assembled = outbound_assemble(ignore_windows=True, batch_ids=new_batches)
    return DemoResult(ingested=lines, summary=assembled.summary())


def _describe(result) -> str:
    again = " (already received)" if result.already_received else ""
    return f"batch {result.batch} {result.status}{again}"
