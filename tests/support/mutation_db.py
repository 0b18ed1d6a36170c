"""pytest plugin for mutation runs: a test database of its own for each mutant's run.

``scripts/mutation.py`` lets mutmut run several mutants at once (``--children``), each in a
process forked from the same server. pytest-django names the test database after the
settings alone (``test_edi``) unless xdist is in use, so runs at once dropped and recreated
each other's database: tests failed for that (false kills) or ran on another run's rows. With
``-p tests.support.mutation_db`` each run's database is ``test_edi_mut<pid>``.

Not used by ``make test`` (pytest-xdist gives each of its workers a suffix there).
"""

from __future__ import annotations

import os


def pytest_sessionstart(session) -> None:
    # before any test database is set up (pytest-django configured Django already); the
    # connections read this very dict
    from django.conf import settings

    for db in settings.DATABASES.values():
        if db["ENGINE"] != "django.db.backends.sqlite3":
            db.setdefault("TEST", {})["NAME"] = f"test_{db['NAME']}_mut{os.getpid()}"
