"""hot_cursor: server-side binding on Django's connection, prepared on demand."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import IntegrityError, connection, connections, transaction

from edi_platform.core.db import copy_insert_unless_exists, db_connection, hot_cursor, iso_temporal
from edi_platform.partners.models import TradingPartner
from tests.factories import TradingPartnerFactory

pytestmark = pytest.mark.django_db

PROBE = "SELECT count(*) FROM partners_tradingpartner WHERE code = %s"


def _prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_a_prepared_hot_statement_is_prepared_once_per_connection():
    for code in ("A", "B", "A"):
        with hot_cursor(prepare=True) as cursor:
            cursor.execute(PROBE, [code])
            assert cursor.fetchone() == (0,)
    assert sum("partners_tradingpartner WHERE code = $1" in s for s in _prepared_statements()) == 1


def test_nothing_is_prepared_when_the_setting_is_off_or_not_asked(settings):
    settings.DATABASE_PREPARED_STATEMENTS = False
    with hot_cursor(prepare=True) as cursor:
        cursor.execute(PROBE + " AND name = %s", ["A", "x"])
    with hot_cursor() as cursor:
        cursor.execute(PROBE + " AND active", ["A"])
    assert not any("code = $1 AND" in s for s in _prepared_statements())


def test_hot_statements_join_the_callers_transaction_and_raise_djangos_errors():
    partner = TradingPartnerFactory(code="HOT")
    with pytest.raises(IntegrityError), transaction.atomic(), hot_cursor() as cursor:
        cursor.execute(
            "UPDATE partners_tradingpartner SET code = %s WHERE id = %s",
            [TradingPartnerFactory(code="OTHER").code, partner.pk],
        )
    with transaction.atomic():
        with hot_cursor(prepare=True) as cursor:
            cursor.execute("DELETE FROM partners_tradingpartner WHERE id = %s", [partner.pk])
        transaction.set_rollback(True)
    assert TradingPartner.objects.filter(code="HOT").exists()


def test_a_hot_cursor_is_handed_out_again_only_once_its_block_is_done():
    with hot_cursor(prepare=True) as first:
        first.execute(PROBE, ["A"])
        with hot_cursor(prepare=True) as nested:  # in use: never shared
            assert nested is not first
            nested.execute(PROBE, ["B"])
            assert nested.fetchone() == (0,)
        assert first.fetchone() == (0,)  # the nested block left this one's result alone
    # one idle cursor of a kind is kept: the nested one (done first); the other was closed
    assert first.closed and not nested.closed
    with hot_cursor(prepare=True) as again:
        assert again is nested
        again.execute(PROBE, ["C"])
        assert again.fetchone() == (0,)
    with hot_cursor() as unprepared:  # the other kind has its own
        assert unprepared is not nested


def test_a_hot_cursor_whose_block_raised_is_closed_and_not_handed_out_again():
    with pytest.raises(ZeroDivisionError), hot_cursor(prepare=True) as failed:
        failed.execute(PROBE, ["A"])
        raise ZeroDivisionError
    assert failed.closed
    with hot_cursor(prepare=True) as cursor:
        assert cursor is not failed
        cursor.execute(PROBE, ["A"])
        assert cursor.fetchone() == (0,)


@pytest.mark.django_db(transaction=True)
def test_a_new_connection_gets_new_hot_cursors():
    with hot_cursor() as before:
        before.execute("SELECT 1")
    connection.close()
    with hot_cursor() as after:
        after.execute("SELECT 2")
        assert after.fetchone() == (2,)
    assert after is not before and after.connection is connection.connection


def test_copy_insert_skips_conflicting_rows_and_returns_the_inserted_ones():
    TradingPartnerFactory(code="KEEP", name="kept as it was")
    columns = [f.column for f in TradingPartner._meta.concrete_fields if not f.primary_key]
    template = TradingPartnerFactory.build(code="NEW1")
    row = [f.pre_save(template, True) for f in TradingPartner._meta.concrete_fields[1:]]
    code = columns.index("code")
    rows = []
    for value, name in (
        ("KEEP", "changed?"),
        ("NEW1", "tab\there\nnew line \\ back"),
        ("NEW2", "x"),
    ):
        copy = list(row)
        copy[code] = value
        copy[columns.index("name")] = name
        copy[columns.index("their_isa_id")] = f"S{value}"
        rows.append(copy)
    with transaction.atomic():
        inserted = copy_insert_unless_exists(
            table=TradingPartner._meta.db_table,
            columns=columns,
            rows=rows,
            conflict="code",
            returning="code",
        )
        assert sorted(r[0] for r in inserted) == ["NEW1", "NEW2"]
        # the staging table is empty again for the next use in the same transaction
        again = copy_insert_unless_exists(
            table=TradingPartner._meta.db_table,
            columns=columns,
            rows=rows[1:2],
            conflict="code",
            returning="code",
        )
        assert again == []
    assert TradingPartner.objects.get(code="KEEP").name == "kept as it was"
    # only the named key is skipped: another unique index still refuses a row
    clash = list(rows[2])
    clash[code] = "NEW3"
    with pytest.raises(IntegrityError), transaction.atomic():
        copy_insert_unless_exists(
            table=TradingPartner._meta.db_table, columns=columns, rows=[clash], conflict="code"
        )
    assert TradingPartner.objects.get(code="NEW1").name == "tab\there\nnew line \\ back"


def test_dates_and_times_sent_to_copy_as_iso_text_come_back_as_the_same_values():
    india = dt.timezone(dt.timedelta(hours=5, minutes=30))
    when = dt.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=india)
    rows = [
        (1, dt.date(2025, 2, 28), when, "text stays"),
        (2, None, None, "nulls stay"),
        (3, dt.date(2025, 2, 28), when, "a repeat"),
    ]
    sent = list(iso_temporal(rows, (1, 2)))
    assert sent[0] == [1, "2025-02-28", "2026-01-02T03:04:05.678901+05:30", "text stays"]
    assert sent[1] == [2, None, None, "nulls stay"]
    assert sent[2][1] is sent[0][1] and sent[2][2] is sent[0][2]  # formatted once
    with transaction.atomic(), hot_cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE iso_probe (n int, d date, t timestamptz, x text)")
        with cursor.copy("COPY iso_probe (n, d, t, x) FROM STDIN") as copy:
            for row in sent:
                copy.write_row(row)
        cursor.execute("SELECT n, d, t, x FROM iso_probe ORDER BY n")
        back = cursor.fetchall()
        cursor.execute("DROP TABLE iso_probe")
    assert [(n, d, t, x) for n, d, t, x in back] == [tuple(r) for r in rows]


def test_db_connection_is_the_calling_threads_default_connection():
    # looked up per call, never kept: another thread gets its own connection object
    assert db_connection() is connections["default"]
    seen = []

    def other() -> None:
        seen.append(db_connection())
        connections.close_all()

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert seen and seen[0] is not db_connection()
    assert seen[0].alias == db_connection().alias == "default"
