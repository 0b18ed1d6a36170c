"""migrate_database: a real SQLite installation moved to a real PostgreSQL database.

Every check reads both databases directly (row counts, a digest of EVERY row of every table,
catalog queries), beside the command's own report; then the platform runs on the target in
child processes: control numbers, events and projections continue where SQLite stopped.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import socket
import sqlite3

import psycopg
import pytest

from edi_platform.ops.databases import pg_connect, url_settings
from edi_platform.ops.schema import tables_plan
from edi_platform.ops.verify import table_digests
from tests.conftest import run_manage
from tests.support import synthetic_834 as synth

from .conftest import manage_ok, pg_env, pg_tables

pytestmark = pytest.mark.slow


def sqlite_digests(path) -> dict:
    conn = sqlite3.connect(path)
    try:
        return table_digests(open_cursor=conn.cursor, tables=tables_plan())
    finally:
        conn.close()


def pg_digests(url: str) -> dict:
    names = (f"digest_{n}" for n in itertools.count())
    with pg_connect(url_settings(url)) as conn:
        return table_digests(
            open_cursor=lambda: conn.cursor(name=next(names)), tables=tables_plan()
        )


def migrate(installation, url: str, *args: str, **env: str):
    return run_manage(
        "migrate_database",
        "--to",
        url,
        "--format",
        "json",
        *args,
        env=installation.env(**env),
        timeout=300,
    )


def _isa_last_issued(db) -> dict[str, int]:
    """The last ISA13 issued per partner on the SQLite installation (current epoch)."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT c.partner_code, max(a.number) FROM controlnumbers_controlnumbercounter c "
            "JOIN controlnumbers_controlnumberaudit a ON a.counter_id = c.id "
            "AND a.epoch = c.epoch WHERE c.counter_type = 'ISA' GROUP BY c.partner_code"
        ).fetchall()
    return dict(rows)


def test_a_populated_installation_moves_with_every_row_of_every_table_equal(
    installation, pg_database
):
    before = sqlite_digests(installation.db)
    url = pg_database()
    done = migrate(installation, url, "--progress-seconds", "0.2")
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert report["outcome"] == "committed" and report["ok"]
    assert report["database_url"] == url

    # every table, every row: same count and same digest of normalised values on both sides
    after = pg_digests(url)
    assert after == before
    assert sqlite_digests(installation.db) == before, "the source changed"
    busy = {t: d["rows"] for t, d in before.items() if d["rows"]}
    for table in (
        "eventstore_domainevent",
        "controlnumbers_controlnumberaudit",
        "auth_user_groups",
        "auth_group_permissions",
        "django_celery_beat_periodictask",
        "django_session",
        "django_admin_log",
        "django_migrations",
        "outbound_outboundfile",
        "eventstore_batchreversal",
    ):
        assert busy.get(table), f"the fixture installation has no {table} rows"

    # the command's own proof: exact counts, >= 10 % sampled plus first and last
    for table in report["tables"]:
        assert table["ok"] and table["rows_target"] == table["rows_source"]
        if table["rows_source"]:
            assert table["sampled"] >= max(1, table["rows_source"] // 10)
    assert {i["name"] for i in report["invariants_target"]} >= {
        "controlnumbers.counter_at_or_above_issued",
        "eventstore.positions_gap_free",
        "eventstore.checkpoints_at_or_below_head",
    }
    assert all(i["violations"] == 0 for i in report["invariants_target"])
    assert "migrate_database: copying" in done.stderr or "migrate_database:" in done.stderr

    with psycopg.connect(url) as conn:
        # the PostgreSQL-only objects exist on the target and are enforced
        triggers = {
            r[0] for r in conn.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        }
        assert {
            "eventstore_domainevent_append_only",
            "eventstore_domainevent_refs",
            "controlnumbers_audit_guard",
            "eventstore_transactionheader_refs",
        } <= triggers
        with pytest.raises(psycopg.errors.RestrictViolation):
            conn.execute("UPDATE eventstore_domainevent SET event_type = 'X'")
        conn.rollback()
        # every sequence, many-to-many tables included, is above its column's maximum
        for table in ("auth_user_groups", "controlnumbers_controlnumberaudit", "auth_permission"):
            highest = conn.execute(f"SELECT max(id) FROM {table}").fetchone()[0]
            following = conn.execute(
                f"SELECT nextval(pg_get_serial_sequence('{table}', 'id'))"
            ).fetchone()[0]
            assert following == highest + 1, table
        conn.rollback()


def test_after_switching_numbers_events_and_projections_continue(installation, pg_database):
    url = pg_database()
    last = _isa_last_issued(installation.db)
    assert set(last) >= {"PARTNERA", "PARTNERB"}
    assert migrate(installation, url).returncode == 0
    env = pg_env(url, installation.base)

    for partner, number in last.items():
        issued = manage_ok(
            "issue_control_numbers",
            "--partner",
            partner,
            "--transaction-type",
            "999",
            "--format",
            "json",
            env=env,
        )
        assert json.loads(issued.stdout)[0]["isa13"] == number + 1, partner

    with psycopg.connect(url) as conn:
        head = conn.execute("SELECT max(position) FROM eventstore_domainevent").fetchone()[0]
        members = conn.execute("SELECT count(*) FROM eventstore_member").fetchone()[0]
    new_file = installation.base / "new-members.834"
    new_file.write_bytes(synth.build_834(synth.generated_members(4, seed=7), isa13=300))
    manage_ok("ingest", str(new_file), env=env)
    with psycopg.connect(url) as conn:
        positions = [
            r[0]
            for r in conn.execute(
                "SELECT position FROM eventstore_domainevent WHERE position > %s ORDER BY 1",
                [head],
            )
        ]
        assert positions and positions == list(range(head + 1, head + 1 + len(positions)))
        checkpoint = conn.execute(
            "SELECT position FROM eventstore_projectioncheckpoint WHERE name = 'members'"
        ).fetchone()[0]
        assert checkpoint == positions[-1]
        assert conn.execute("SELECT count(*) FROM eventstore_member").fetchone()[0] > members
    replay = manage_ok("replay_events", "--batch-size", "4", env=env)
    assert "swapped" in replay.stdout


def test_a_failure_mid_copy_rolls_back_leaving_the_target_empty_and_the_source_untouched(
    installation, pg_database
):
    # PostgreSQL refuses a NUL character in text; SQLite kept it. The outbox is copied late.
    with sqlite3.connect(installation.db) as conn:
        conn.execute(
            "UPDATE outbound_outboxmessage SET last_error = ? WHERE id = "
            "(SELECT min(id) FROM outbound_outboxmessage)",
            ["broken\x00value"],
        )
    before = sqlite_digests(installation.db)
    url = pg_database()
    done = migrate(installation, url)
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert report["outcome"] == "rolled back" and report["database_url"] is None
    assert "outbound_outboxmessage" in report["reason"]
    assert "22021" in report["reason"] and "NUL" in report["reason"]
    assert "broken" not in done.stdout + done.stderr  # never a row value
    assert pg_tables(url) == []
    assert sqlite_digests(installation.db) == before


def test_data_breaking_a_reference_trigger_is_refused_by_the_target(installation, pg_database):
    # SQLite has no statement-level reference check: an event may point at a missing batch.
    with sqlite3.connect(installation.db) as conn:
        conn.execute(
            "UPDATE eventstore_domainevent SET batch_id = 999999 WHERE position = "
            "(SELECT max(position) FROM eventstore_domainevent)"
        )
    url = pg_database()
    done = migrate(installation, url)
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert "23503" in report["reason"] and "eventstore_domainevent" in report["reason"]
    assert pg_tables(url) == []


def test_a_migration_killed_mid_copy_leaves_the_target_empty_and_can_be_run_again(
    installation, pg_database
):
    url = pg_database()
    killed = migrate(installation, url, OPS_CRASH_AT="after_table:eventstore_domainevent")
    assert killed.returncode == -signal.SIGKILL
    assert pg_tables(url) == []
    again = migrate(installation, url)
    assert again.returncode == 0, again.stderr[-2000:]
    assert json.loads(again.stdout)["outcome"] == "committed"


def test_killed_just_before_the_commit_nothing_is_left_either(installation, pg_database):
    url = pg_database()
    assert migrate(installation, url, OPS_CRASH_AT="before_commit").returncode == -signal.SIGKILL
    assert pg_tables(url) == []


def test_a_non_empty_target_is_refused_unless_forced(installation, pg_database):
    url = pg_database()
    with psycopg.connect(url) as conn:
        conn.execute("CREATE TABLE something_else (id int)")
    refused = migrate(installation, url)
    assert refused.returncode == 2
    assert "not empty" in refused.stderr and "--force" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert pg_tables(url) == ["something_else"]
    forced = migrate(installation, url, "--force")
    assert forced.returncode == 0, forced.stderr[-2000:]
    assert "something_else" not in pg_tables(url)


def test_an_unreachable_target_or_a_missing_database_is_refused_with_what_to_do(installation):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    down = migrate(installation, f"postgres://edi@127.0.0.1:{port}/edi")
    assert down.returncode == 2
    assert "cannot connect to the target" in down.stderr and "Traceback" not in down.stderr
    base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    missing = migrate(installation, f"{base}/no_such_database_here")
    assert missing.returncode == 2
    assert "3D000" in missing.stderr and "createdb" in missing.stderr
    wrong_kind = migrate(installation, "mysql://u:p@127.0.0.1/x")
    assert wrong_kind.returncode == 2 and "not a PostgreSQL database" in wrong_kind.stderr


def test_a_source_being_written_is_refused_and_nothing_changes(installation, pg_database):
    url = pg_database()
    writer = sqlite3.connect(installation.db, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE partners_tradingpartner SET name = name")
        busy = migrate(installation, url)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert busy.returncode == 2
    assert "another process is writing" in busy.stderr
    assert pg_tables(url) == []


def test_a_source_behind_or_ahead_of_this_version_is_refused(installation, pg_database):
    url = pg_database()
    last = "SELECT max(id) FROM django_migrations WHERE app = 'outbound'"
    with sqlite3.connect(installation.db) as conn:
        row = conn.execute(
            f"SELECT app, name, applied FROM django_migrations WHERE id = ({last})"
        ).fetchone()
        conn.execute(f"DELETE FROM django_migrations WHERE id = ({last})")
    behind = migrate(installation, url)
    assert behind.returncode == 2 and "unapplied migrations" in behind.stderr
    assert "manage.py migrate" in behind.stderr
    with sqlite3.connect(installation.db) as conn:
        # the same schema again (re-applying could not: its tables are there), plus one
        # migration this version does not know
        conn.execute("INSERT INTO django_migrations (app, name, applied) VALUES (?, ?, ?)", row)
        conn.execute(
            "INSERT INTO django_migrations (app, name, applied) "
            "VALUES ('outbound', '0999_from_the_future', '2030-01-01 00:00:00')"
        )
    ahead = migrate(installation, url)
    assert ahead.returncode == 2 and "newer version" in ahead.stderr
    assert pg_tables(url) == []


def test_a_dry_run_plans_and_counts_only(installation, pg_database):
    url = pg_database()
    done = run_manage("migrate_database", "--to", url, "--dry-run", env=installation.env())
    assert done.returncode == 0, done.stderr[-2000:]
    assert "eventstore_domainevent:" in done.stdout and "dry run" in done.stdout
    assert pg_tables(url) == []


def test_a_too_old_server_is_refused(monkeypatch, pg_database):
    from edi_platform.ops import databases
    from edi_platform.ops.errors import TargetUnsupported

    monkeypatch.setattr(databases, "MIN_POSTGRESQL", 990000)  # no real server is that new
    with pytest.raises(TargetUnsupported) as refused:
        databases.pg_probe(config=url_settings(pg_database()))
    assert "this platform needs 99 or later" in str(refused.value)


def test_a_connection_lost_mid_copy_rolls_back_and_the_copy_is_done_again(
    installation, pg_database, monkeypatch, django_db_blocker
):
    from edi_platform.ops import copying
    from edi_platform.ops import migrate as migrate_module
    from edi_platform.ops.databases import alias_close, alias_open

    url = pg_database()
    name = url.rsplit("/", 1)[1]
    killed: list[str] = []

    def table_copy_losing_the_connection_once(**kwargs):
        if kwargs["table"].name == "eventstore_domainevent" and not killed:
            # the server ends the migration's session (as a restart or a failover would)
            with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
                killed.extend(
                    r[0]
                    for r in admin.execute(
                        "SELECT pg_terminate_backend(pid)::text FROM pg_stat_activity "
                        "WHERE datname = %s",
                        [name],
                    )
                )
        return copying.table_copy(**kwargs)

    monkeypatch.setattr(migrate_module, "table_copy", table_copy_losing_the_connection_once)
    lines: list[str] = []
    with django_db_blocker.unblock():
        alias_open("ops_test_source", url_settings(f"sqlite:///{installation.db}"))
        try:
            report = migrate_module.database_migrate(
                target_url=url, source_alias="ops_test_source", progress=lines.append
            )
        finally:
            alias_close("ops_test_source")
    assert killed == ["true"]
    assert report.outcome == "committed", report.reason
    assert any("rolled back, again" in line for line in lines)
    assert pg_digests(url) == sqlite_digests(installation.db)


def test_a_row_changed_or_lost_on_the_way_is_caught_and_nothing_is_committed(
    installation, pg_database, monkeypatch, django_db_blocker
):
    from edi_platform.ops import copying
    from edi_platform.ops import migrate as migrate_module
    from edi_platform.ops.databases import alias_close, alias_open

    def table_copy_then_tamper(**kwargs):
        copied = copying.table_copy(**kwargs)
        target = kwargs["target"]
        # what a lossy conversion would do: one value changed, one row gone
        if kwargs["table"].name == "partners_tradingpartner":
            target.execute(
                "UPDATE partners_tradingpartner SET name = name || ' ' "
                "WHERE id = (SELECT max(id) FROM partners_tradingpartner)"
            )
        if kwargs["table"].name == "django_session":
            target.execute("DELETE FROM django_session")
        return copied

    monkeypatch.setattr(migrate_module, "table_copy", table_copy_then_tamper)
    url = pg_database()
    with sqlite3.connect(installation.db) as conn:
        changed = conn.execute("SELECT max(id) FROM partners_tradingpartner").fetchone()[0]
    with django_db_blocker.unblock():
        alias_open("ops_test_source", url_settings(f"sqlite:///{installation.db}"))
        try:
            report = migrate_module.database_migrate(
                target_url=url, source_alias="ops_test_source", sample_percent=100
            )
        finally:
            alias_close("ops_test_source")
    assert report.outcome == "rolled back"
    assert "2 tables differ" in report.reason
    tables = {t.table: t for t in report.tables}
    assert tables["partners_tradingpartner"].differing_keys == [str(changed)]
    assert tables["django_session"].rows_target == 0 < tables["django_session"].rows_source
    assert pg_tables(url) == []


def test_a_source_that_is_not_a_database_is_refused_without_a_traceback(tmp_path, pg_database):
    from .conftest import Installation

    site = Installation(tmp_path)
    site.db.write_bytes(b"this is not an SQLite file" * 200)
    refused = migrate(site, pg_database())
    assert refused.returncode == 2
    assert "sqlite:26" in refused.stderr and "nothing was changed" in refused.stderr
    assert "Traceback" not in refused.stderr
