"""Which tables an installation has, their columns and the order to fill them in.

Read generically from Django's app registry (every concrete, managed model of every
installed app, the auto-created many-to-many tables included) plus the migration recorder's
``django_migrations``; nothing here knows any app. The order puts every table after the
tables it references (foreign keys, with or without a database constraint), so statement-
level reference triggers on the target see their referenced rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.db import models
from django.db.migrations.recorder import MigrationRecorder

__all__ = ["Column", "Table", "tables_plan"]

_INT_TYPES = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "SmallAutoField",
        "IntegerField",
        "BigIntegerField",
        "SmallIntegerField",
        "PositiveIntegerField",
        "PositiveBigIntegerField",
        "PositiveSmallIntegerField",
    }
)
_KINDS = {
    "BooleanField": "bool",
    "NullBooleanField": "bool",
    "FloatField": "float",
    "DecimalField": "decimal",
    "DateTimeField": "datetime",
    "DateField": "date",
    "TimeField": "time",
    "DurationField": "duration",
    "JSONField": "json",
    "UUIDField": "uuid",
    "BinaryField": "bytes",
}


@dataclass(frozen=True)
class Column:
    """One column: its name and how its values are normalised for hashing (``kind``)."""

    name: str
    kind: str  # int bool float decimal datetime date time duration json uuid bytes text
    decimal_places: int | None = None


@dataclass(frozen=True)
class Table:
    name: str
    label: str  # "app_label.ModelName" (or "django_migrations")
    columns: tuple[Column, ...]
    pk: str
    references: frozenset[str]

    @property
    def pk_column(self) -> Column:
        return next(c for c in self.columns if c.name == self.pk)


def _kind(field: models.Field) -> tuple[str, int | None]:
    while field.is_relation and field.target_field is not None and field is not field.target_field:
        field = field.target_field
    internal = field.get_internal_type()
    if internal in _INT_TYPES:
        return "int", None
    kind = _KINDS.get(internal, "text")
    return kind, getattr(field, "decimal_places", None) if kind == "decimal" else None


def _table_of(model: type[models.Model], label: str) -> Table:
    meta = model._meta
    columns = []
    references = set()
    for field in meta.local_concrete_fields:
        kind, places = _kind(field)
        columns.append(Column(name=field.column, kind=kind, decimal_places=places))
        if field.is_relation and field.related_model is not None:
            referenced = field.related_model._meta.db_table
            if referenced != meta.db_table:
                references.add(referenced)
    return Table(
        name=meta.db_table,
        label=label,
        columns=tuple(columns),
        pk=meta.pk.column,
        references=frozenset(references),
    )


def tables_plan() -> list[Table]:
    """Every table of the installation, each after the tables it references."""
    found: dict[str, Table] = {}
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed or meta.swapped:
            continue
        found.setdefault(meta.db_table, _table_of(model, meta.label))
    recorder_model = MigrationRecorder.Migration
    found.setdefault(
        recorder_model._meta.db_table, _table_of(recorder_model, recorder_model._meta.db_table)
    )
    ordered: list[Table] = []
    placed: set[str] = set()
    remaining = dict(sorted(found.items()))
    while remaining:
        ready = [
            t
            for t in remaining.values()
            if all(r in placed or r not in found for r in t.references)
        ]
        if not ready:
            # A reference cycle (none today): take the rest in name order; foreign keys are
            # deferred to the end of the transaction, so the order does not matter for them.
            ready = list(remaining.values())
        for table in ready:
            ordered.append(table)
            placed.add(table.name)
            del remaining[table.name]
    return ordered
