"""Domain errors of the operations: each one is a refusal with what to do about it.

Commands print ``str(error)`` (what happened and what to do) and exit with status 2; the
texts name tables, counts, paths and codes only, never row values.
"""

from __future__ import annotations

__all__ = [
    "BackupDamaged",
    "BackupFromNewerSchema",
    "ManifestCorrupted",
    "OpsRefused",
    "SourceBusy",
    "SourceNotReady",
    "TargetNotEmpty",
    "TargetUnreachable",
    "TargetUnsupported",
    "ToolMissing",
    "VerificationFailed",
]


class OpsRefused(Exception):
    """Nothing was changed; ``suggestion`` says what the operator can do."""

    def __init__(self, message: str, *, suggestion: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.suggestion = suggestion

    def __str__(self) -> str:
        return f"{self.message}. {self.suggestion}" if self.suggestion else self.message


class TargetUnreachable(OpsRefused):
    """The target database cannot be reached or refuses us."""


class TargetUnsupported(OpsRefused):
    """The target is not PostgreSQL, or a server version this platform cannot run on."""


class TargetNotEmpty(OpsRefused):
    """The target already holds tables."""


class SourceBusy(OpsRefused):
    """Another process is writing to the source database."""


class SourceNotReady(OpsRefused):
    """The source is not migrated to this version's schema (or to a newer one)."""


class VerificationFailed(OpsRefused):
    """Counts, hashes, sequences, constraints or invariants did not hold: rolled back."""


class ManifestCorrupted(OpsRefused):
    """The backup's manifest cannot be read or its checksum does not match."""


class BackupDamaged(OpsRefused):
    """A file of the backup is missing or differs from the manifest."""


class BackupFromNewerSchema(OpsRefused):
    """The backup holds migrations this version does not know."""


class ToolMissing(OpsRefused):
    """pg_dump / pg_restore (of a recent enough version) cannot be found."""
