"""Real installations for the operations tests: SQLite files made by child processes, and
fresh PostgreSQL databases created on the test command's throwaway cluster."""

from __future__ import annotations

import os
import shutil
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from tests.conftest import run_manage


def sqlite_env(base: Path, **extra: str) -> dict[str, str]:
    """Environment of a child process whose installation is the SQLite file under ``base``."""
    return {
        "DATABASE_URL": f"sqlite:///{base / 'db.sqlite3'}",
        "INBOUND_STORAGE_ROOT": str(base / "inbound"),
        "OUTBOUND_STORAGE_ROOT": str(base / "outbound"),
        "INBOUND_INBOX_DIR": str(base / "inbox"),
        "BACKUP_DIR": str(base / "backups"),
        "CELERY_BROKER_URL": "",
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def pg_env(url: str, base: Path, **extra: str) -> dict[str, str]:
    """Environment of a child process whose installation is the PostgreSQL ``url``."""
    return {**sqlite_env(base), "DATABASE_URL": url, "DATABASE_POOL": "false", **extra}


def manage_ok(*args: str, env: dict[str, str], timeout: int = 300):
    done = run_manage(*args, env=env, timeout=timeout)
    assert done.returncode == 0, (done.stdout[-3000:], done.stderr[-3000:])
    return done


def _cluster_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        pytest.fail("DATABASE_URL is not PostgreSQL: run the suite with `make test`")
    return url.rsplit("/", 1)[0]


@pytest.fixture
def pg_database() -> Iterator[Callable[[], str]]:
    """Make fresh, empty PostgreSQL databases on the test cluster (dropped afterwards)."""
    made: list[str] = []
    base = _cluster_url()

    def make() -> str:
        name = f"ops_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        made.append(name)
        return f"{base}/{name}"

    yield make
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        for name in made:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_tables(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND relkind IN ('r', 'S', 'v') ORDER BY relname"
        ).fetchall()
    return [r[0] for r in rows]


@dataclass(frozen=True)
class Installation:
    """A SQLite installation in its own directory (database, storage, backups)."""

    base: Path

    @property
    def db(self) -> Path:
        return self.base / "db.sqlite3"

    def env(self, **extra: str) -> dict[str, str]:
        return sqlite_env(self.base, **extra)


@pytest.fixture(scope="session")
def _populated(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("populated")
    env = sqlite_env(base)
    manage_ok("migrate", "--noinput", env=env)
    manage_ok(
        "shell",
        "-c",
        "from tests.edi_platform.ops.populate import populate; populate()",
        env=env,
    )
    with sqlite3.connect(base / "db.sqlite3") as conn:  # fold the WAL into the file
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return base


@pytest.fixture
def installation(_populated, tmp_path) -> Installation:
    """A copy of the populated installation for this test alone."""
    base = tmp_path / "site"
    shutil.copytree(_populated, base, ignore=shutil.ignore_patterns("*-wal", "*-shm"))
    return Installation(base)
