"""``database_backup`` and ``backups_list``: consistent snapshots with a manifest to check.

Steps of a backup (``manage.py backup [--to DIR] [--with-files]`` is a thin shell):

1. A new directory ``edi-backup-<UTC time>.partial`` under the backup root (``BACKUP_DIR``).
2. The database, as one consistent state:

   * PostgreSQL: a ``REPEATABLE READ`` transaction exports its snapshot; ``pg_dump -Fc
     --snapshot`` dumps exactly that snapshot while this process counts and hashes every
     row of every table in the same snapshot (the two run side by side);
   * SQLite: the online backup API copies the file page by page (writers may go on), and
     the copy itself is counted and hashed, so the manifest describes exactly the copy.
3. With ``--with-files``: the inbound and outbound storage roots as ``inbound.tar.gz`` /
   ``outbound.tar.gz`` (after the snapshot: every file a row points to was stored before
   its row committed, so it is in the archive).
4. ``manifest.json`` (:mod:`.manifest`): schema, counts, digests, sizes and sha256 of the
   files; everything is fsynced; the directory is renamed to its final name.

What a crash leaves: a ``.partial`` directory, which ``list_backups`` shows as incomplete
and ``restore`` refuses (no manifest); the database is only read.
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

import psycopg
from django.conf import settings
from django.db import connections
from django.utils import timezone

from edi_platform.core.progress import ProgressTicker, format_seconds
from edi_platform.core.storage import fsync_directory

from .databases import pg_connect
from .errors import ManifestCorrupted, OpsRefused
from .manifest import (
    MANIFEST_FORMAT,
    MANIFEST_NAME,
    file_sha256,
    manifest_read,
    manifest_write,
    platform_version,
    schema_state,
)
from .pgtools import pg_client_env, pg_program, tool_error_line
from .schema import Table, tables_plan
from .verify import table_digests

__all__ = [
    "BackupInfo",
    "BackupResult",
    "backup_locate",
    "backup_root",
    "backups_list",
    "database_backup",
    "storage_roots",
]

PARTIAL = ".partial"


def backup_root() -> Path:
    return Path(getattr(settings, "BACKUP_DIR", Path(settings.BASE_DIR) / "var" / "backups"))


def storage_roots() -> dict[str, Path]:
    """The storage roots a backup may archive (``--with-files``)."""
    return {
        "inbound": Path(settings.INBOUND_STORAGE_ROOT),
        "outbound": Path(settings.OUTBOUND_STORAGE_ROOT),
    }


@dataclass
class BackupResult:
    path: Path
    manifest: dict[str, Any]
    seconds: float

    def summary_lines(self) -> list[str]:
        tables = self.manifest["tables"]
        rows = sum(t["rows"] for t in tables.values())
        size = sum(f["bytes"] for f in self.manifest["files"].values())
        return [
            f"backup {self.path.name}: {self.manifest['engine']}, {len(tables)} tables, "
            f"{rows:,} rows, {size / 1e6:,.1f} MB in {format_seconds(self.seconds)}",
            f"written to {self.path}",
            f"restore with: manage.py restore {self.path} --to URL",
        ]


@dataclass
class _State:
    phase: str = "starting"
    table: str = ""
    rows: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def _existing_tables(plan: list[Table], names: set[str]) -> list[Table]:
    return [t for t in plan if t.name in names]


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _backup_postgresql(config: dict[str, Any], directory: Path, state: _State) -> dict[str, Any]:
    conn = pg_connect(config)
    try:
        # One snapshot for everything this transaction reads, exported to pg_dump.
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
        server_major = conn.info.server_version // 10000
        dump = directory / "db.dump"
        pg_dump = pg_program("pg_dump", min_major=server_major)
        # Runs beside the hashing below, on the same snapshot.
        child = subprocess.Popen(
            [pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={dump}"],
            env=pg_client_env(config),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            present = {
                r[0]
                for r in conn.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
                )
            }
            applied = conn.execute("SELECT app, name FROM django_migrations").fetchall()
            names = (f"backup_{n}" for n in itertools.count())
            state.phase = "hashing"
            tables = table_digests(
                open_cursor=lambda: conn.cursor(name=next(names)),
                tables=_existing_tables(tables_plan(), present),
                on_rows=lambda table, rows: _seen(state, table, rows),
            )
            state.phase, state.table = "waiting for pg_dump", ""
            _, errors = child.communicate()
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
        if child.returncode != 0:
            raise OpsRefused(
                f"pg_dump failed (exit {child.returncode}): {tool_error_line(errors)}",
                suggestion="check the database user's privileges and free disk space",
            )
        return {
            "engine": "postgresql",
            "server_version": conn.info.server_version,
            "schema": schema_state(applied),
            "tables": tables,
            "data_file": dump.name,
        }
    finally:
        conn.close()


def _seen(state: _State, table: str, rows: int) -> None:
    state.table, state.rows = table, rows


def _backup_sqlite(path: str, directory: Path, state: _State) -> dict[str, Any]:
    copy = directory / "db.sqlite3"
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    target = sqlite3.connect(copy)
    try:
        state.phase = "copying pages"
        source.backup(
            target, pages=4096, progress=lambda _s, left, total: _pages(state, left, total)
        )
    finally:
        source.close()
        target.close()
    conn = sqlite3.connect(f"file:{copy}?mode=ro", uri=True)
    try:
        present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        applied = conn.execute("SELECT app, name FROM django_migrations").fetchall()
        state.phase = "hashing"
        tables = table_digests(
            open_cursor=conn.cursor,
            tables=_existing_tables(tables_plan(), present),
            on_rows=lambda table, rows: _seen(state, table, rows),
        )
    finally:
        conn.close()
    return {
        "engine": "sqlite",
        "server_version": sqlite3.sqlite_version_info[0] * 10000
        + sqlite3.sqlite_version_info[1] * 100,
        "schema": schema_state(applied),
        "tables": tables,
        "data_file": copy.name,
    }


def _pages(state: _State, left: int, total: int) -> None:
    state.table, state.rows = "pages", total - left


def _archive(root: Path, target: Path) -> int:
    count = 0
    with tarfile.open(target, "w:gz", compresslevel=6) as archive:
        if root.is_dir():
            for path in sorted(root.rglob("*")):
                if path.is_file() and not path.name.startswith(".tmp-"):
                    archive.add(path, arcname=path.relative_to(root).as_posix(), recursive=False)
                    count += 1
    return count


def database_backup(
    *,
    to_dir: Path | None = None,
    with_files: bool = False,
    using: str = "default",
    progress: Callable[[str], None] | None = None,
    progress_seconds: float = 5.0,
) -> BackupResult:
    """Write a consistent backup of database ``using`` (see the module docstring)."""
    started = time.monotonic()
    root = Path(to_dir) if to_dir else backup_root()
    root.mkdir(parents=True, exist_ok=True)
    now = timezone.now()
    name = f"edi-backup-{now:%Y%m%dT%H%M%S}Z"
    for suffix in itertools.count(1):
        if not (root / name).exists() and not (root / (name + PARTIAL)).exists():
            break
        name = f"edi-backup-{now:%Y%m%dT%H%M%S}Z-{suffix}"
    work = root / (name + PARTIAL)
    work.mkdir()
    connection = connections[using]
    config = connection.settings_dict
    state = _State()
    ticker = ProgressTicker(
        render=lambda: f"backup: {state.phase} {state.table} {state.rows:,}",
        write=progress or (lambda line: None),
        interval=progress_seconds if progress else 0,
    )
    with ticker:
        if connection.vendor == "postgresql":
            body = _backup_postgresql(config, work, state)
        elif connection.vendor == "sqlite":
            connection.close()
            body = _backup_sqlite(str(config["NAME"]), work, state)
        else:
            raise OpsRefused(f"cannot back up a {connection.vendor} database")
        storage: dict[str, int] = {}
        if with_files:
            for label, storage_root in storage_roots().items():
                state.phase, state.table = "archiving", label
                storage[label] = _archive(storage_root, work / f"{label}.tar.gz")
        state.phase = "writing the manifest"
        files = {}
        for path in sorted(work.iterdir()):
            _fsync_file(path)
            files[path.name] = {"bytes": path.stat().st_size, "sha256": file_sha256(path)}
    body = {
        "format": MANIFEST_FORMAT,
        "name": name,
        "created_at": now.isoformat(timespec="seconds"),
        "platform_version": platform_version(),
        **body,
        "files": files,
        "storage_files": storage,
    }
    manifest_write(work, body)
    fsync_directory(str(work))
    final = root / name
    os.rename(work, final)
    fsync_directory(str(root))
    return BackupResult(path=final, manifest=body, seconds=time.monotonic() - started)


@dataclass(frozen=True)
class BackupInfo:
    name: str
    path: Path
    status: str  # ok | incomplete | damaged
    created_at: str = ""
    engine: str = ""
    platform_version: str = ""
    schema: str = ""
    tables: int = 0
    rows: int = 0
    bytes: int = 0
    problem: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "path": str(self.path)}


def backups_list(*, directory: Path | None = None) -> list[BackupInfo]:
    """Every backup under ``directory`` (default ``BACKUP_DIR``), newest first."""
    root = Path(directory) if directory else backup_root()
    found = []
    if not root.is_dir():
        return found
    for path in sorted(root.iterdir(), reverse=True):
        if not path.is_dir():
            continue
        if path.name.endswith(PARTIAL):
            found.append(BackupInfo(path.name, path, "incomplete", problem="interrupted"))
            continue
        if not (path / MANIFEST_NAME).exists():
            continue
        try:
            body = manifest_read(path)
        except ManifestCorrupted as exc:
            found.append(BackupInfo(path.name, path, "damaged", problem=exc.message))
            continue
        found.append(
            BackupInfo(
                name=path.name,
                path=path,
                status="ok",
                created_at=body["created_at"],
                engine=body["engine"],
                platform_version=body["platform_version"],
                schema=body["schema"]["fingerprint"],
                tables=len(body["tables"]),
                rows=sum(t["rows"] for t in body["tables"].values()),
                bytes=sum(f["bytes"] for f in body["files"].values()),
            )
        )
    return found


def backup_locate(name_or_path: str) -> Path:
    """A backup directory from a path, or a name under ``BACKUP_DIR``."""
    path = Path(name_or_path)
    if path.is_dir():
        return path
    candidate = backup_root() / name_or_path
    if candidate.is_dir():
        return candidate
    raise ManifestCorrupted(
        f"no backup at {name_or_path}",
        suggestion="give a backup directory, or a name shown by `manage.py list_backups`",
    )
