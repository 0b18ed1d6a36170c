"""A second PostgreSQL session on the test database, beside Django's own connection.

Tests of locking (``skip_locked``, advisory locks, a gate held across processes) need a
session that holds a lock while the code under test runs in Django's. The test must use
``django_db(transaction=True)``: rows it made are only visible to another session once
committed.
"""

from __future__ import annotations

import psycopg
from django.db import connection


def test_database_dsn() -> str:
    """The DSN of the database Django's default connection uses now (the test database)."""
    db = connection.settings_dict
    return f"postgresql://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def other_session(*, autocommit: bool = True) -> psycopg.Connection:
    """A new session on the test database (use it as a context manager)."""
    return psycopg.connect(test_database_dsn(), autocommit=autocommit)
