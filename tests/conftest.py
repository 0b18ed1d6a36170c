"""Shared fixtures. The test command (make test) starts PostgreSQL and Redis; nothing here does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
CORPUS_DIR = REPO_ROOT.parent / "shared" / "corpus"


@pytest.fixture
def redis_url() -> str:
    """URL of the throwaway Redis started by the test command."""
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.fail("TEST_REDIS_URL is not set: run the suite with `make test`")
    return url


@pytest.fixture
def ops_user(django_user_model):
    """An operator without permissions (services record who acted; admin views check more)."""
    return django_user_model.objects.create_user("ops-admin", "", "pw-ops-user-1")


@pytest.fixture
def admin_client_logged_in(client, django_user_model):
    """A test client logged in as a superuser."""
    user = django_user_model.objects.create_superuser("ops-admin", "", "pw-ops-admin-1")
    client.force_login(user)
    return client


def child_process_env(**extra: str) -> dict[str, str]:
    """Environment for a real child process that must work on this test's PostgreSQL database.

    Use it from ``django_db(transaction=True)`` tests, so the child sees committed rows.
    """
    from django.db import connection

    db = connection.settings_dict
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "edi_platform.settings",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "DATABASE_POOL": "false",
        "PYTHONPATH": str(REPO_ROOT),
        **extra,
    }


def run_manage(*args: str, env: dict[str, str] | None = None, timeout: int = 120):
    """Run ``manage.py`` in a subprocess (a real separate process) and capture its output."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, str(REPO_ROOT / "manage.py"), *args],
        cwd=REPO_ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
