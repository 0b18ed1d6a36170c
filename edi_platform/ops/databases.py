"""Database URLs and connections the operations use beside the installation's own.

* :func:`url_settings` / :func:`url_masked`: a ``DATABASE_URL`` as Django settings, and as
  text safe to print (password hidden).
* :func:`alias_open` registers a temporary Django connection alias for another database
  (the migration target), so Django's migration executor and its psycopg connection serve
  it; :func:`everything_routed_to` sends the ORM there while migrations run (two of our data
  migrations use the default manager, which would otherwise write to the source).
* :func:`pg_probe` connects (retrying what the classifier calls retryable), checks the server
  version and lists what the target schema holds; :func:`pg_schema_clear` drops it all.
* :func:`sqlite_read_locked` opens an SQLite file holding its write lock, which is how a
  copy proves nobody writes meanwhile.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import environ
import psycopg
from django.db import DEFAULT_DB_ALIAS, connections, router

from edi_platform.core.retry import RetryPolicy, classify, retry_call

from .errors import SourceBusy, TargetUnreachable, TargetUnsupported

__all__ = [
    "MIN_POSTGRESQL",
    "PgTarget",
    "alias_close",
    "alias_open",
    "everything_routed_to",
    "pg_connect",
    "pg_probe",
    "pg_schema_clear",
    "pg_schema_objects",
    "sqlite_read_locked",
    "url_engine",
    "url_masked",
    "url_settings",
]

# Django 5.2 supports PostgreSQL 14 and later.
MIN_POSTGRESQL = 140000
CONNECT_POLICY = RetryPolicy(attempts=3, base=0.5, cap=4.0, back_off_factor=2.0)


def url_settings(url: str) -> dict[str, Any]:
    """A database URL as a Django ``DATABASES`` entry (django-environ's parser)."""
    try:
        config = environ.Env.db_url_config(url)
    except Exception as exc:
        raise TargetUnsupported(
            "the database URL cannot be read",
            suggestion="give it as postgres://USER:PASSWORD@HOST:PORT/NAME",
        ) from exc
    engine = config.get("ENGINE", "")
    if engine in ("django.db.backends.postgresql_psycopg2",):
        config["ENGINE"] = "django.db.backends.postgresql"
    return config


def url_engine(url: str) -> str:
    """``postgresql`` or ``sqlite3`` (the last part of the Django engine)."""
    return str(url_settings(url).get("ENGINE", "")).rsplit(".", 1)[-1]


def url_masked(url: str) -> str:
    """The URL with its password replaced by ``****`` (printable, loggable)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = (parts.username or "") + ":****"
    return urlunsplit(parts._replace(netloc=f"{user}@{netloc[-1]}"))


def _conninfo(config: dict[str, Any]) -> dict[str, Any]:
    info = {
        "host": config.get("HOST") or None,
        "port": config.get("PORT") or None,
        "user": config.get("USER") or None,
        "password": config.get("PASSWORD") or None,
        "dbname": config.get("NAME") or None,
        "connect_timeout": 10,
    }
    options = dict(config.get("OPTIONS") or {})
    options.pop("pool", None)
    info.update({k: v for k, v in options.items() if isinstance(v, str | int)})
    return {k: v for k, v in info.items() if v is not None}


def pg_connect(config: dict[str, Any], *, autocommit: bool = False) -> psycopg.Connection:
    """A psycopg connection to a PostgreSQL ``DATABASES`` entry, in UTC, JSON read as text."""
    from psycopg.types.string import TextLoader

    conn = psycopg.connect(**_conninfo(config), autocommit=autocommit)
    conn.execute("SET TIME ZONE 'UTC'")
    for name in ("json", "jsonb"):
        conn.adapters.register_loader(name, TextLoader)
    if not autocommit:
        conn.commit()
    return conn


@dataclass(frozen=True)
class PgTarget:
    """What :func:`pg_probe` found: the server version and the objects in the schema."""

    server_version: int
    schema: str
    objects: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return not self.objects


_SCHEMA_OBJECTS_SQL = """
SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
ORDER BY c.relkind = 'S', c.relname
"""


def pg_schema_objects(*, cursor: Any) -> list[tuple[str, str]]:
    """(name, relkind) of every table, view and sequence in the current schema."""
    cursor.execute(_SCHEMA_OBJECTS_SQL)
    return [(name, kind) for name, kind in cursor.fetchall()]


def _refusal(exc: Exception, what: str) -> TargetUnreachable:
    found = classify(exc)
    return TargetUnreachable(
        f"cannot connect to the {what} ({found.source} {found.code})",
        suggestion=found.suggestion
        or "check that the server runs and the host, port and database name in the URL",
    )


def pg_probe(*, config: dict[str, Any], what: str = "target") -> PgTarget:
    """Connect to a PostgreSQL database and describe it; refuse a server that is too old.

    Lost connections and a starting server are retried (the classifier's RECONNECT and
    BACK_OFF); a refused password or a missing database is reported at once.
    """
    try:
        conn, _ = retry_call(
            lambda: pg_connect(config, autocommit=True), policy=CONNECT_POLICY, what=what
        )
    except psycopg.Error as exc:
        raise _refusal(exc, what) from None
    with conn:
        version = conn.info.server_version
        if version < MIN_POSTGRESQL:
            raise TargetUnsupported(
                f"the {what} runs PostgreSQL {version // 10000}; this platform needs "
                f"{MIN_POSTGRESQL // 10000} or later",
                suggestion="upgrade the server, or use another one",
            )
        with conn.cursor() as cursor:
            cursor.execute("SELECT current_schema()")
            schema = cursor.fetchone()[0]
            if schema is None:
                raise TargetUnsupported(
                    f"the {what} has no schema on the search path",
                    suggestion="create the schema public, or set search_path for the user",
                )
            objects = tuple(name for name, _ in pg_schema_objects(cursor=cursor))
    return PgTarget(server_version=version, schema=schema, objects=objects)


def pg_schema_clear(*, cursor: Any) -> int:
    """Drop every table, view, sequence and function of the current schema (``--force``).

    Runs in the caller's transaction, so a failure later on brings them back."""
    dropped = 0
    for name, kind in pg_schema_objects(cursor=cursor):
        statement = {
            "r": "TABLE",
            "p": "TABLE",
            "f": "FOREIGN TABLE",
            "v": "VIEW",
            "m": "MATERIALIZED VIEW",
            "S": "SEQUENCE",
        }[kind]
        cursor.execute(f'DROP {statement} IF EXISTS "{name}" CASCADE')
        dropped += 1
    cursor.execute(
        "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n "
        "ON n.oid = p.pronamespace WHERE n.nspname = current_schema()"
    )
    for (signature,) in cursor.fetchall():
        cursor.execute(f"DROP FUNCTION IF EXISTS {signature} CASCADE")
    return dropped


def alias_open(alias: str, config: dict[str, Any]) -> Any:
    """Register ``config`` as the Django connection ``alias`` (no pool) and return it."""
    raw = {**config, "CONN_MAX_AGE": 0}
    options = dict(raw.get("OPTIONS") or {})
    options.pop("pool", None)
    raw["OPTIONS"] = options
    filled = connections.configure_settings({DEFAULT_DB_ALIAS: raw})[DEFAULT_DB_ALIAS]
    connections.settings[alias] = filled
    return connections[alias]


def alias_close(alias: str) -> None:
    """Close and forget a connection registered by :func:`alias_open`."""
    if alias not in connections.settings:
        return
    with contextlib.suppress(Exception):
        connections[alias].close()
    with contextlib.suppress(AttributeError):
        del connections[alias]
    del connections.settings[alias]


class _RouteEverything:
    def __init__(self, alias: str) -> None:
        self.alias = alias

    def db_for_read(self, model: Any, **hints: Any) -> str:
        return self.alias

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return self.alias


@contextlib.contextmanager
def everything_routed_to(alias: str) -> Iterator[None]:
    """While the block runs, the ORM reads and writes ``alias`` (this process only).

    Data migrations that use ``Model.objects`` without ``.using(...)`` would otherwise write
    to the installation's own database (the source of a migration) instead of the target.
    """
    had = "routers" in router.__dict__
    saved = router.__dict__.get("routers")
    router.routers = [_RouteEverything(alias)]
    try:
        yield
    finally:
        if had:
            router.routers = saved
        else:
            router.__dict__.pop("routers", None)


def sqlite_read_locked(path: str | Path, *, wait_seconds: float = 2.0) -> sqlite3.Connection:
    """Open the SQLite file read-only in spirit and take its write lock (BEGIN IMMEDIATE).

    Holding the write lock keeps every other writer out until the connection closes (they
    wait, then fail with "database is locked"), so what is read is one consistent state and
    nothing is written to the source that the copy would miss. A writer already in a
    transaction makes this fail after ``wait_seconds``: :class:`SourceBusy`.
    """
    path = Path(path)
    if not path.is_file():
        raise SourceBusy(
            f"the SQLite database {path} does not exist",
            suggestion="check DATABASE_URL (the source is the installation's own database)",
        )
    conn = sqlite3.connect(
        f"file:{path}?mode=rw", uri=True, isolation_level=None, timeout=wait_seconds
    )
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("PRAGMA query_only = 1")  # this connection never writes the source
    except sqlite3.OperationalError as exc:
        conn.close()
        found = classify(exc)
        if found.retryable:
            raise SourceBusy(
                "another process is writing to the SQLite database",
                suggestion="stop the web server, run_scheduler and workers, then try again",
            ) from None
        raise SourceBusy(
            f"the SQLite database cannot be read ({found.code})", suggestion=found.suggestion
        ) from None
    return conn
