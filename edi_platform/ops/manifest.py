"""A backup's manifest: what it holds, and a checksum that tells if the manifest was damaged.

``manifest.json`` is ``{"manifest": BODY, "sha256": <sha256 of BODY as canonical JSON>}``.
BODY records the format, the time, the platform version, the engine and server version,
the schema (every applied migration, and a fingerprint of them), per table the row count
and the digest of every row (:mod:`.rowhash`), and per file of the backup its size and
sha256. A manifest whose checksum does not match is refused as a whole: nothing it says is
trusted.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

from django.db.migrations.loader import MigrationLoader

from .errors import BackupFromNewerSchema, ManifestCorrupted

__all__ = [
    "MANIFEST_FORMAT",
    "MANIFEST_NAME",
    "file_sha256",
    "manifest_read",
    "manifest_write",
    "platform_version",
    "schema_check",
    "schema_state",
]

MANIFEST_FORMAT = 1
MANIFEST_NAME = "manifest.json"


def _canonical(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def platform_version() -> str:
    try:
        return metadata.version("edi-platform")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a plain checkout
        return "unknown"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def manifest_write(directory: Path, body: dict[str, Any]) -> Path:
    """Write ``manifest.json`` (durably: fsynced) with the checksum of ``body``."""
    path = directory / MANIFEST_NAME
    data = {"manifest": body, "sha256": hashlib.sha256(_canonical(body)).hexdigest()}
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2, sort_keys=True)
        handle.flush()
        os.fsync(handle.fileno())
    return path


def manifest_read(directory: Path) -> dict[str, Any]:
    """The manifest's body, or :class:`ManifestCorrupted` when it is missing or damaged."""
    path = directory / MANIFEST_NAME
    what_to_do = "use another backup (`manage.py list_backups`); this one cannot be trusted"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        body = data["manifest"]
        recorded = data["sha256"]
    except FileNotFoundError:
        raise ManifestCorrupted(
            f"{directory} has no {MANIFEST_NAME} (not a backup, or an unfinished one)",
            suggestion=what_to_do,
        ) from None
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise ManifestCorrupted(
            f"the manifest of {directory.name} cannot be read", suggestion=what_to_do
        ) from None
    if not isinstance(body, dict) or hashlib.sha256(_canonical(body)).hexdigest() != recorded:
        raise ManifestCorrupted(
            f"the manifest of {directory.name} is damaged (checksum mismatch)",
            suggestion=what_to_do,
        )
    if body.get("format") != MANIFEST_FORMAT:
        raise ManifestCorrupted(
            f"the manifest of {directory.name} has format {body.get('format')!r}, "
            f"this version reads {MANIFEST_FORMAT}",
            suggestion="restore it with the platform version that made it",
        )
    return body


def schema_state(applied: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """The schema version: every applied migration (``app.name``) and their fingerprint."""
    names = sorted(f"{app}.{name}" for app, name in applied)
    return {
        "migrations": names,
        "fingerprint": hashlib.sha256("\n".join(names).encode()).hexdigest()[:16],
    }


def schema_check(schema: dict[str, Any], *, made_by: str) -> list[str]:
    """Refuse a schema with migrations this version does not know (a newer platform's);
    return the migrations this version has that the schema lacks (an older backup)."""
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    known = {f"{app}.{name}" for app, name in graph.nodes}
    recorded = set(schema.get("migrations", []))
    unknown = sorted(recorded - known)
    if unknown:
        raise BackupFromNewerSchema(
            f"the backup comes from a newer schema (platform {made_by}): {len(unknown)} "
            f"migrations are unknown to this version (e.g. {unknown[0]}); nothing was changed",
            suggestion=f"restore it with platform {made_by} or later",
        )
    return sorted(known - recorded)
