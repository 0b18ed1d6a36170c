"""pytest plugin for mutation runs: a test database of its own for each mutant's run.

``scripts/mutation.py`` lets mutmut run several mutants at once (``--children``), each in a
process forked from the same server. pytest-django names the test database after the
settings alone (``test_edi``) unless xdist is in use, so runs at once dropped and recreated
each other's database: tests failed for that (false kills) or ran on another run's rows. With
``-p tests.support.mutation_db`` each run's database is ``test_edi_mut<pid>``.

Creating and migrating that database took ~5.7 s of a run's ~7 s (most mutants' runs last a
few seconds), so when ``MUTATION_DB_TEMPLATE`` names a migrated database (the driver makes
one per run, from the unmutated tree: migrations are never mutated) each run's database is a
``CREATE DATABASE ... TEMPLATE`` copy of it (~0.5 s). pytest-django then finds it with
``--reuse-db`` semantics (its migrate finds nothing to do), and the copy is dropped when the
run ends. Every run still starts from a database nobody else used (reusing one database
across runs made false kills).

Not used by ``make test`` (pytest-xdist gives each of its workers a suffix there).
"""

from __future__ import annotations

import os

import psycopg
from psycopg import sql

_copies: list[tuple[dict, str]] = []


def _maintenance(db: dict) -> psycopg.Connection:
    return psycopg.connect(
        dbname="postgres",
        user=db["USER"],
        host=db["HOST"],
        port=db["PORT"],
        password=db.get("PASSWORD") or None,
        autocommit=True,
    )


def pytest_sessionstart(session) -> None:
    # before any test database is set up (pytest-django configured Django already); the
    # connections read this very dict
    from django.conf import settings

    template = os.environ.get("MUTATION_DB_TEMPLATE")
    for db in settings.DATABASES.values():
        if db["ENGINE"] == "django.db.backends.sqlite3":
            continue
        name = f"test_{db['NAME']}_mut{os.getpid()}"
        db.setdefault("TEST", {})["NAME"] = name
        if template:
            with _maintenance(db) as conn:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
                conn.execute(
                    sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                        sql.Identifier(name), sql.Identifier(template)
                    )
                )
            _copies.append((db, name))
    if _copies:
        # pytest-django's --reuse-db: keep the copy (its migrate has nothing to do) and do
        # not destroy it at teardown; pytest_unconfigure drops it
        session.config.option.reuse_db = True


def pytest_unconfigure(config) -> None:
    if not _copies:
        return
    from django.db import connections

    connections.close_all()
    for db, name in _copies:
        with _maintenance(db) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
    _copies.clear()
