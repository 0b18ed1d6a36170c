"""The embedded default (what ``make run`` uses): SQLite, eager Celery, files in a folder.

The suite runs on PostgreSQL; this test drives the SQLite path in real child processes so
SQLite-only breakage (SQL it does not understand, JSON lookups it handles differently) is
caught: migrate, load the demo (834 ingest → events → members), replay and member history.
"""

from __future__ import annotations

import json

from tests.conftest import run_manage


def test_demo_loads_projects_replays_and_reports_on_sqlite(tmp_path):
    env = {
        "DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "INBOUND_STORAGE_ROOT": str(tmp_path / "inbound"),
        "OUTBOUND_STORAGE_ROOT": str(tmp_path / "outbound"),
        "INBOUND_INBOX_DIR": str(tmp_path / "inbox"),
        "CELERY_BROKER_URL": "",
    }
    for args in (("migrate", "--noinput"), ("seed_demo", "--samples")):
        done = run_manage(*args, env=env, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
    check = run_manage(
        "shell",
        "-c",
        "import json; from eventstore.models import DomainEvent, Member; "
        "print(json.dumps([DomainEvent.objects.count(), Member.objects.count()]))",
        env=env,
    )
    assert check.returncode == 0, check.stderr[-2000:]
    events, members = json.loads(check.stdout.strip().splitlines()[-1])
    assert events > 0 and members > 0  # the 834 was appended and projected inline

    replay = run_manage("replay_events", "--batch-size", "3", env=env)
    assert replay.returncode == 0, replay.stderr[-2000:]
    assert "swapped" in replay.stdout

    history = run_manage("member_history", "DEMO0001", "--format", "json", env=env)
    assert history.returncode == 0, history.stderr[-2000:]
    assert json.loads(history.stdout)
