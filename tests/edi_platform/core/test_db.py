"""hot_cursor: server-side binding on Django's connection, prepared on demand."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from edi_platform.core.db import copy_insert_unless_exists, hot_cursor
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
