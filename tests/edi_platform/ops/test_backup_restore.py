"""backup / restore / list_backups on both engines, with real pg_dump and pg_restore.

A round trip must give back every row of every table (digests over all rows, read
independently of the manifest), and starting again on the restored database must issue
no control number twice. Damaged, newer or misdirected backups are refused, nothing changed.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading

import psycopg
import pytest

from edi_platform.ops.manifest import manifest_read, manifest_write
from tests.conftest import run_manage

from .conftest import manage_ok, pg_env, pg_tables
from .test_migrate import pg_digests, sqlite_digests

pytestmark = pytest.mark.slow


def _issue(env: dict[str, str], partner: str, count: int = 1) -> list[int]:
    done = manage_ok(
        "issue_control_numbers",
        "--partner",
        partner,
        "--transaction-type",
        "999",
        "--count",
        str(count),
        "--format",
        "json",
        env=env,
    )
    return [s["isa13"] for s in json.loads(done.stdout)]


def _backup(env: dict[str, str], *args: str) -> dict:
    done = manage_ok("backup", "--format", "json", "--progress-seconds", "0", *args, env=env)
    return json.loads(done.stdout)


def _restore(env: dict[str, str], backup: str, url: str, *args: str):
    return run_manage("restore", backup, "--to", url, "--format", "json", *args, env=env)


def test_sqlite_round_trip_equal_by_manifest_files_included_and_numbers_continue(
    installation, tmp_path
):
    env = installation.env()
    issued_before = _issue(env, "PARTNERA", 2)
    backup = _backup(env, "--with-files")
    assert backup["engine"] == "sqlite" and backup["files"]["inbound.tar.gz"]["bytes"] > 0
    listed = json.loads(manage_ok("list_backups", "--format", "json", env=env).stdout)
    assert [(b["name"], b["status"]) for b in listed] == [(backup["name"], "ok")]

    fresh = tmp_path / "restored-site"
    target = fresh / "db.sqlite3"
    restored_env = {
        **installation.env(),
        "DATABASE_URL": f"sqlite:///{target}",
        "INBOUND_STORAGE_ROOT": str(fresh / "inbound"),
        "OUTBOUND_STORAGE_ROOT": str(fresh / "outbound"),
    }
    done = _restore(restored_env, backup["path"], f"sqlite:///{target}", "--with-files")
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert report["files_restored"] > 0 and report["files_conflicting"] == []
    assert sqlite_digests(target) == sqlite_digests(installation.db)
    for path in (installation.base / "inbound").rglob("*"):
        if path.is_file():
            twin = fresh / "inbound" / path.relative_to(installation.base / "inbound")
            assert twin.read_bytes() == path.read_bytes()

    issued_after = _issue(restored_env, "PARTNERA", 2)
    assert issued_after == [issued_before[-1] + 1, issued_before[-1] + 2]


def test_postgresql_round_trip_equal_by_manifest_and_no_number_issued_twice(
    installation, pg_database, tmp_path
):
    source_url, target_url = pg_database(), pg_database()
    moved = run_manage("migrate_database", "--to", source_url, env=installation.env())
    assert moved.returncode == 0, moved.stderr[-2000:]
    env = pg_env(source_url, installation.base)
    history = {p: _issue(env, p, 3) for p in ("PARTNERA", "PARTNERB")}

    # the platform keeps writing while the backup runs: the dump and the manifest must still
    # describe one and the same moment
    stop = threading.Event()
    written = []

    def keep_writing() -> None:
        with psycopg.connect(source_url, autocommit=True) as conn:
            while not stop.is_set():
                conn.execute(
                    "INSERT INTO django_session (session_key, session_data, expire_date) "
                    "VALUES (%s, 'x', now() + interval '1 day')",
                    [f"busy{len(written):036d}"],
                )
                written.append(1)

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        backup = _backup(env)
    finally:
        stop.set()
        writer.join()
    assert backup["engine"] == "postgresql" and backup["tables"]["eventstore_domainevent"]["rows"]
    done = _restore(env, backup["name"], target_url)  # by name, from BACKUP_DIR
    assert done.returncode == 0, done.stderr[-2000:]
    restored, source_now = pg_digests(target_url), pg_digests(source_url)
    assert restored == backup["tables"]
    assert {t: d for t, d in restored.items() if t != "django_session"} == {
        t: d for t, d in source_now.items() if t != "django_session"
    }
    assert restored["django_session"]["rows"] < source_now["django_session"]["rows"]
    occupied = pg_database()
    with psycopg.connect(occupied) as conn:
        conn.execute("CREATE TABLE keep_me (id int)")
    refused = _restore(env, backup["name"], occupied)
    assert refused.returncode == 2 and "not empty" in refused.stderr
    assert pg_tables(occupied) == ["keep_me"]

    restored = pg_env(target_url, installation.base)
    for partner, numbers in history.items():
        again = _issue(restored, partner, 2)
        assert again == [numbers[-1] + 1, numbers[-1] + 2], partner
        assert not set(again) & set(numbers)
    with psycopg.connect(target_url) as conn:
        # the database's own guarantee survived the round trip: no number twice per epoch
        duplicates = conn.execute(
            "SELECT count(*) FROM (SELECT counter_id, number, epoch FROM "
            "controlnumbers_controlnumberaudit GROUP BY 1, 2, 3 HAVING count(*) > 1) d"
        ).fetchone()[0]
    assert duplicates == 0


def test_a_damaged_manifest_is_refused_and_listed_as_damaged(installation, pg_database):
    env = installation.env()
    backup = _backup(env)
    manifest = installation.base / "backups" / backup["name"] / "manifest.json"
    text = manifest.read_text()
    manifest.write_text(
        re.sub(r'"rows": (\d+)', lambda m: f'"rows": {int(m[1]) + 1}', text, count=1)
    )
    target = installation.base / "restored.sqlite3"
    refused = _restore(env, backup["path"], f"sqlite:///{target}")
    assert refused.returncode == 2
    assert "damaged (checksum mismatch)" in refused.stderr and "Traceback" not in refused.stderr
    assert not target.exists()
    listed = json.loads(manage_ok("list_backups", "--format", "json", env=env).stdout)
    assert listed[0]["status"] == "damaged"

    manifest.write_text("{ not json")
    garbled = _restore(env, backup["path"], pg_database())
    assert garbled.returncode == 2 and "cannot be read" in garbled.stderr


def test_a_backup_from_a_newer_schema_is_refused(installation, pg_database):
    env = installation.env()
    backup = _backup(env)
    directory = installation.base / "backups" / backup["name"]
    body = manifest_read(directory)
    body["schema"]["migrations"].append("eventstore.0999_from_a_newer_platform")
    body["platform_version"] = "9.0.0"
    manifest_write(directory, body)  # a consistent manifest, as a newer platform writes it
    target = installation.base / "restored.sqlite3"
    refused = _restore(env, backup["path"], f"sqlite:///{target}")
    assert refused.returncode == 2
    assert "newer schema" in refused.stderr and "9.0.0" in refused.stderr
    assert not target.exists()


def test_a_damaged_data_file_is_refused(installation):
    env = installation.env()
    backup = _backup(env)
    data = installation.base / "backups" / backup["name"] / "db.sqlite3"
    with open(data, "r+b") as handle:
        handle.seek(5000)
        handle.write(b"\xff\xfe")
    target = installation.base / "restored.sqlite3"
    refused = _restore(env, backup["path"], f"sqlite:///{target}")
    assert refused.returncode == 2 and "differs from its manifest" in refused.stderr
    assert not target.exists()


def test_targets_that_are_not_empty_or_of_the_other_engine_are_refused(installation, pg_database):
    env = installation.env()
    backup = _backup(env)
    existing = installation.base / "existing.sqlite3"
    sqlite3.connect(existing).execute("CREATE TABLE t (x)").connection.close()
    busy = _restore(env, backup["path"], f"sqlite:///{existing}")
    assert busy.returncode == 2 and "already exists" in busy.stderr
    other = _restore(env, backup["path"], pg_database())
    assert other.returncode == 2 and "migrate_database" in other.stderr


def test_an_interrupted_backup_is_listed_incomplete_and_cannot_be_restored(installation):
    env = installation.env()
    partial = installation.base / "backups" / "edi-backup-20250101T000000Z.partial"
    partial.mkdir(parents=True)
    (partial / "db.sqlite3").write_bytes(b"half")
    listed = json.loads(manage_ok("list_backups", "--format", "json", env=env).stdout)
    assert [(b["name"], b["status"]) for b in listed] == [(partial.name, "incomplete")]
    refused = _restore(env, str(partial), f"sqlite:///{installation.base / 'x.sqlite3'}")
    assert refused.returncode == 2 and "no manifest.json" in refused.stderr
