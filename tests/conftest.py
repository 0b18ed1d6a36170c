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


# -- the corpus suite: stated once, whether it ran -------------------------------------------
# These modules run the public sample files of ../shared/corpus as an extra conformance
# suite; the project's own fixtures carry the cases that matter, so the suite is whole
# without them. Whether they ran (and how many cases) is said once at the end of the run.
CORPUS_MODULES = (
    "tests/eventstore/inbound/test_corpus.py",
    "tests/edi_platform/x12/test_conformance.py",
    "tests/edi_platform/x12/guides/test_conformance_pyx12.py",
)
_collected: dict[str, list[str]] = {}


def pytest_collection_modifyitems(config, items):
    """Without the corpus, its modules are deselected (not a row of "empty parameter set"
    skips); the summary line says so once."""
    if CORPUS_DIR.is_dir():
        return
    dropped = [i for i in items if i.nodeid.split("::", 1)[0] in CORPUS_MODULES]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [i for i in items if i.nodeid.split("::", 1)[0] not in CORPUS_MODULES]


def pytest_collection_finish(session):
    _collected["local"] = [item.nodeid for item in session.items]


def pytest_xdist_node_collection_finished(node, ids):
    _collected["xdist"] = list(ids)  # every worker collects the same ids


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    ids = _collected.get("xdist") or _collected.get("local") or []
    corpus = [i for i in ids if i.split("::", 1)[0] in CORPUS_MODULES]
    stats = terminalreporter.stats
    ran = sum(len(stats.get(key, [])) for key in ("passed", "failed", "xfailed", "xpassed"))
    terminalreporter.write_sep("-", "suite summary")
    terminalreporter.write_line(f"tests run: {ran} (collected {len(ids)})")
    if CORPUS_DIR.is_dir() and corpus:
        terminalreporter.write_line(
            f"corpus suite: ran, {len(corpus)} cases over the files of {CORPUS_DIR}"
        )
    elif CORPUS_DIR.is_dir():
        terminalreporter.write_line(
            f"corpus suite: NOT RUN (none of its modules was selected; {CORPUS_DIR} is present)"
        )
    else:
        terminalreporter.write_line(
            f"corpus suite: NOT RUN ({CORPUS_DIR} is absent); the project's own fixtures ran"
        )
