"""``database_restore``: a backup into an empty database, verified against its manifest.

Steps (``manage.py restore BACKUP --to URL [--with-files]`` is a thin shell):

1. The manifest is read and its checksum checked (a damaged manifest is refused whole);
   every file of the backup must have the size and sha256 the manifest records.
2. The schema: a backup holding migrations this version does not know (a newer platform's)
   is refused; an older one is restored as it is (then ``manage.py migrate``).
3. The target: the backup's engine (PostgreSQL backups restore into PostgreSQL, SQLite ones
   into an SQLite file), reachable, new enough, and empty.
4. PostgreSQL: ``pg_restore --single-transaction --exit-on-error``: all or nothing.
   SQLite: the backup API copies into ``<target>.partial``, renamed into place at the end.
5. Verification against the manifest: the row count and the digest of every row of every
   table, every sequence above its column's maximum (PostgreSQL), the registered invariants.
   A mismatch empties the target again (drops what was restored / removes the file).
6. With ``--with-files``: the storage archives are extracted into the storage roots; a file
   that exists with other bytes is never overwritten (it is reported).

What a crash leaves: before step 4 nothing; during it PostgreSQL rolls the restore back
(SQLite: a ``.partial`` file, removed on the next attempt); between 4 and 5 a restored but
unverified database — run the restore again into a fresh database.
"""

from __future__ import annotations

import itertools
import os
import sqlite3
import subprocess
import tarfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edi_platform.core.invariants import invariants_check
from edi_platform.core.progress import ProgressTicker, format_seconds

from .backup import backup_locate, storage_roots
from .databases import pg_connect, pg_probe, pg_schema_clear, url_masked, url_settings
from .errors import BackupDamaged, OpsRefused, TargetNotEmpty, TargetUnsupported, VerificationFailed
from .manifest import file_sha256, manifest_read, schema_check
from .pgtools import pg_client_env, pg_program, tool_error_line
from .schema import Table, tables_plan
from .verify import sequences_check, table_digests

__all__ = ["RestoreReport", "database_restore"]


@dataclass
class RestoreReport:
    backup: str
    target: str
    engine: str
    seconds: float = 0.0
    tables: int = 0
    rows: int = 0
    older_schema: list[str] = field(default_factory=list)
    invariants: list[dict[str, Any]] = field(default_factory=list)
    files_restored: int = 0
    files_conflicting: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def summary_lines(self) -> list[str]:
        lines = [
            f"restored {self.backup} into {self.target}: {self.tables} tables, {self.rows:,} "
            f"rows, every row's digest equal to the manifest ({format_seconds(self.seconds)})"
        ]
        broken = [i["name"] for i in self.invariants if i["violations"]]
        if broken:
            lines.append(f"warning: invariants broken (as in the backup): {', '.join(broken)}")
        if self.older_schema:
            lines.append(
                f"the backup's schema is older ({len(self.older_schema)} migrations missing): "
                f"run `manage.py migrate` with DATABASE_URL={self.target}"
            )
        if self.files_restored or self.files_conflicting:
            lines.append(f"storage files restored: {self.files_restored}")
        for name in self.files_conflicting[:10]:
            lines.append(f"  kept the existing (different) file: {name}")
        lines.append(f"switch to it: DATABASE_URL={self.target}")
        return lines


def _files_check(directory: Path, manifest: dict[str, Any]) -> None:
    for name, expected in manifest["files"].items():
        path = directory / name
        if not path.is_file():
            raise BackupDamaged(f"the backup's {name} is missing", suggestion="use another backup")
        if path.stat().st_size != expected["bytes"] or file_sha256(path) != expected["sha256"]:
            raise BackupDamaged(
                f"the backup's {name} differs from its manifest (damaged or altered)",
                suggestion="use another backup (`manage.py list_backups`)",
            )


def _tables_of(manifest: dict[str, Any]) -> list[Table]:
    return [t for t in tables_plan() if t.name in manifest["tables"]]


def _compare(found: dict[str, Any], manifest: dict[str, Any]) -> list[str]:
    return sorted(
        name for name, expected in manifest["tables"].items() if found.get(name) != expected
    )


def _restore_postgresql(
    directory: Path, manifest: dict[str, Any], config: dict[str, Any], state: dict[str, Any]
) -> list[dict[str, Any]]:
    probe = pg_probe(config=config)
    if not probe.empty:
        raise TargetNotEmpty(
            f"the target database is not empty ({len(probe.objects)} tables or sequences); "
            "nothing was changed",
            suggestion="restore into a new database (createdb NAME)",
        )
    dump_major = manifest["server_version"] // 10000
    pg_restore = pg_program("pg_restore", min_major=max(dump_major, probe.server_version // 10000))
    state["phase"] = "pg_restore"
    done = subprocess.run(
        [
            pg_restore,
            "--single-transaction",
            "--exit-on-error",
            "--no-owner",
            "--no-privileges",
            f"--dbname={config['NAME']}",
            str(directory / manifest["data_file"]),
        ],
        env=pg_client_env(config),
        capture_output=True,
    )
    if done.returncode != 0:
        raise OpsRefused(
            f"pg_restore failed (exit {done.returncode}): {tool_error_line(done.stderr)}; "
            "the target was left as it was",
            suggestion="check the target user's privileges (it must be able to create the "
            "schema's tables and triggers) and the server version",
        )
    conn = pg_connect(config)
    try:
        names = (f"restore_{n}" for n in itertools.count())
        state["phase"] = "verifying"
        found = table_digests(
            open_cursor=lambda: conn.cursor(name=next(names)),
            tables=_tables_of(manifest),
            on_rows=lambda table, rows: state.update(table=table, rows=rows),
        )
        differing = _compare(found, manifest)
        with conn.cursor() as cursor:
            behind = [s for s in sequences_check(cursor=cursor) if not s.ok]
            invariants = invariants_check(cursor=cursor, tables=manifest["tables"])
        if differing or behind:
            with conn.cursor() as cursor:
                pg_schema_clear(cursor=cursor)
            conn.commit()
            raise VerificationFailed(
                "the restored data differs from the manifest"
                + (f" (tables {', '.join(differing[:5])})" if differing else "")
                + (f" (sequences {', '.join(s.table for s in behind[:5])})" if behind else "")
                + "; the target was emptied again",
                suggestion="use another backup",
            )
        conn.rollback()
        return [r.to_dict() for r in invariants]
    finally:
        conn.close()


def _restore_sqlite(
    directory: Path, manifest: dict[str, Any], config: dict[str, Any], state: dict[str, Any]
) -> list[dict[str, Any]]:
    target = Path(config["NAME"])
    if target.exists() and target.stat().st_size > 0:
        raise TargetNotEmpty(
            f"{target} already exists; nothing was changed",
            suggestion="restore to a new file name (sqlite:////path/new.sqlite3)",
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(f"file:{directory / manifest['data_file']}?mode=ro", uri=True)
    copy = sqlite3.connect(partial)
    try:
        state["phase"] = "copying pages"
        source.backup(copy)
        copy.commit()
    finally:
        source.close()
        copy.close()
    try:
        conn = sqlite3.connect(f"file:{partial}?mode=ro", uri=True)
        try:
            state["phase"] = "verifying"
            found = table_digests(
                open_cursor=conn.cursor,
                tables=_tables_of(manifest),
                on_rows=lambda table, rows: state.update(table=table, rows=rows),
            )
            differing = _compare(found, manifest)
            invariants = invariants_check(cursor=conn.cursor(), tables=manifest["tables"])
        finally:
            conn.close()
        if differing:
            raise VerificationFailed(
                f"the restored data differs from the manifest (tables "
                f"{', '.join(differing[:5])}); nothing was restored",
                suggestion="use another backup",
            )
        with open(partial, "rb") as handle:
            os.fsync(handle.fileno())
        os.rename(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return [r.to_dict() for r in invariants]


def _files_restore(directory: Path, report: RestoreReport) -> None:
    """Extract the storage archives, never overwriting a file that has other bytes."""
    for label, root in storage_roots().items():
        archive_path = directory / f"{label}.tar.gz"
        if not archive_path.is_file():
            continue
        with tarfile.open(archive_path, "r:gz") as archive:
            for member in archive:
                if not member.isfile():
                    continue
                destination = (root / member.name).resolve()
                if not destination.is_relative_to(root.resolve()):
                    report.files_conflicting.append(f"{label}/{member.name} (outside the root)")
                    continue
                data = archive.extractfile(member)
                content = data.read() if data is not None else b""
                if destination.exists():
                    if destination.read_bytes() != content:
                        report.files_conflicting.append(f"{label}/{member.name}")
                    continue
                destination.parent.mkdir(parents=True, exist_ok=True)
                with open(destination, "xb") as handle:
                    handle.write(content)
                    handle.flush()
                    os.fsync(handle.fileno())
                report.files_restored += 1


def database_restore(
    *,
    backup: str | Path,
    target_url: str,
    with_files: bool = False,
    progress: Callable[[str], None] | None = None,
    progress_seconds: float = 5.0,
) -> RestoreReport:
    """Restore ``backup`` into the empty database at ``target_url`` (module docstring)."""
    started = time.monotonic()
    directory = backup_locate(str(backup))
    manifest = manifest_read(directory)
    _files_check(directory, manifest)
    older = schema_check(manifest["schema"], made_by=manifest["platform_version"])
    config = url_settings(target_url)
    engine = str(config.get("ENGINE", "")).rsplit(".", 1)[-1]
    wanted = manifest["engine"] if manifest["engine"] != "sqlite" else "sqlite3"
    if engine != wanted:
        raise TargetUnsupported(
            f"a {manifest['engine']} backup restores into {manifest['engine']}, not {engine}",
            suggestion="to move an SQLite installation to PostgreSQL, restore it to an SQLite "
            "file, then run `manage.py migrate_database --to postgres://…` with it",
        )
    report = RestoreReport(
        backup=directory.name, target=url_masked(target_url), engine=manifest["engine"]
    )
    report.older_schema = older
    state: dict[str, Any] = {"phase": "starting", "table": "", "rows": 0}
    ticker = ProgressTicker(
        render=lambda: f"restore: {state['phase']} {state['table']} {state['rows']:,}",
        write=progress or (lambda line: None),
        interval=progress_seconds if progress else 0,
    )
    with ticker:
        restore = _restore_postgresql if engine == "postgresql" else _restore_sqlite
        report.invariants = restore(directory, manifest, config, state)
        if with_files:
            state["phase"] = "restoring storage files"
            _files_restore(directory, report)
    report.tables = len(manifest["tables"])
    report.rows = sum(t["rows"] for t in manifest["tables"].values())
    report.seconds = time.monotonic() - started
    return report
