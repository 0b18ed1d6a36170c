"""A benchmark's own PostgreSQL database and environment, made before Django is set up.

The bench scripts run under ``scripts/with-test-services.sh``: ``DATABASE_URL`` names the
throwaway cluster; each script creates a database of its own there (``edi_bench_<name>_<pid>``),
points the platform at it and at a temporary storage folder, and runs Celery eagerly (no
broker: on-commit assembly runs inline). Import this module, call :func:`own_database`, then
``django.setup()``.
"""

from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import dataclass
from urllib.parse import urlparse

__all__ = ["OwnDatabase", "own_database"]


@dataclass(frozen=True)
class OwnDatabase:
    base_url: str  # the cluster's URL (to drop the database at the end)
    name: str  # the benchmark's database
    url: str
    storage: str  # temporary folder holding inbound/ and outbound/

    def drop(self) -> None:
        import psycopg

        with psycopg.connect(self.base_url, autocommit=True) as c:
            c.execute(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")


def own_database(name: str, **extra_env: str) -> OwnDatabase:
    """Create the database ``edi_bench_<name>_<pid>`` and set the environment for it
    (``extra_env`` adds or overrides variables)."""
    base_url = os.environ.get("DATABASE_URL", "")
    if not base_url.startswith("postgres"):
        sys.exit("DATABASE_URL must point at PostgreSQL (use scripts/with-test-services.sh)")
    db = f"edi_bench_{name}_{os.getpid()}"
    parts = urlparse(base_url)
    url = f"{parts.scheme}://{parts.netloc}/{db}"
    storage = tempfile.mkdtemp(prefix=f"edi-bench-{name}-")

    import psycopg

    with psycopg.connect(base_url, autocommit=True) as c:
        c.execute(f"CREATE DATABASE {db}")
    os.environ.update(
        DATABASE_URL=url,
        DATABASE_POOL="false",
        DEBUG="false",
        SECRET_KEY=os.environ.get("SECRET_KEY", "bench-secret-key-not-for-production-000000000000"),
        LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="edi_platform.settings",
        INBOUND_STORAGE_ROOT=f"{storage}/inbound",
        OUTBOUND_STORAGE_ROOT=f"{storage}/outbound",
        **extra_env,
    )
    os.environ.pop("CELERY_BROKER_URL", None)  # eager: on-commit assembly runs inline
    os.environ.pop("OUTBOUND_REDIS_URL", None)
    return OwnDatabase(base_url=base_url, name=db, url=url, storage=storage)
