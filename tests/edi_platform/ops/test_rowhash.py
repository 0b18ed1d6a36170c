"""Row digests agree across engines for the same values read two ways, and differ on a
real change (normalisation is what makes the migration's hash proof possible)."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid

import pytest

from edi_platform.ops.rowhash import RowHasher, normaliser
from edi_platform.ops.schema import Column, Table, tables_plan

UTC = dt.UTC


@pytest.mark.parametrize(
    "column, sqlite_value, postgres_value",
    [
        (Column("a", "bool"), 1, True),
        (Column("a", "bool"), 0, False),
        (
            Column("a", "datetime"),
            "2025-01-02 03:04:05.000006",
            dt.datetime(2025, 1, 2, 4, 4, 5, 6, tzinfo=dt.timezone(dt.timedelta(hours=1))),
        ),
        (Column("a", "date"), "2025-01-02", dt.date(2025, 1, 2)),
        (Column("a", "decimal", 2), 1.1, decimal.Decimal("1.10")),
        (Column("a", "json"), '{"b": 1, "a": [1.0, "x"]}', '{"a": [1, "x"], "b": 1}'),
        (Column("a", "json"), '"text"', '"text"'),
        (
            Column("a", "uuid"),
            "0123456789abcdef0123456789abcdef",
            uuid.UUID(int=0x0123456789ABCDEF0123456789ABCDEF),
        ),
        (Column("a", "bytes"), b"\x00\xff", memoryview(b"\x00\xff")),
        (Column("a", "duration"), 90_000_000, dt.timedelta(seconds=90)),
        (Column("a", "int"), 7, 7),
        (Column("a", "text"), "ÄÖ", "ÄÖ"),
    ],
)
def test_the_same_value_read_from_either_engine_normalises_alike(
    column, sqlite_value, postgres_value
):
    fn = normaliser(column)
    assert fn(sqlite_value) == fn(postgres_value)


def test_a_changed_value_changes_the_digest_and_row_order_does_not_matter():
    table = Table(
        name="t",
        label="t",
        columns=(Column("id", "int"), Column("flag", "bool"), Column("at", "datetime")),
        pk="id",
        references=frozenset(),
    )
    hasher = RowHasher(table)
    a = (1, 1, "2025-01-02 03:04:05")
    b = (1, True, dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC))
    assert hasher.digest(a) == hasher.digest(b)
    assert hasher.digest(a) != hasher.digest((1, 0, "2025-01-02 03:04:05"))
    assert hasher.digest(a) != hasher.digest((1, 1, "2025-01-02 03:04:06"))
    assert hasher.digest((1, None, None)) != hasher.digest((1, 0, None))
    assert hasher.key(a) == hasher.key(b) == "1"


def test_the_plan_puts_every_table_after_the_tables_it_references():
    plan = tables_plan()
    order = {t.name: i for i, t in enumerate(plan)}
    assert len(order) == len(plan)
    for table in plan:
        for referenced in table.references:
            assert order[referenced] < order[table.name], (table.name, referenced)
    names = set(order)
    assert {"django_migrations", "auth_user_groups", "django_celery_beat_periodictask"} <= names
    assert {"eventstore_domainevent", "eventstore_ingestionstep"} <= names
