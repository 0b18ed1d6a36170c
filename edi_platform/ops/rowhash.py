"""Row hashes that agree across engines: SQLite's raw values and PostgreSQL's typed ones.

The same row reads differently on each side: SQLite gives ``1`` / ``"2025-01-02
03:04:05.000006"`` / ``'{"b": 1, "a": 2}'`` / a 32-digit hex string / ``1.1`` where
PostgreSQL gives ``True`` / an aware datetime / ``{"a": 2, "b": 1}`` (jsonb reorders keys) /
a ``UUID`` / ``Decimal("1.10")``. Each column kind has one normaliser to a canonical text:
booleans, time-zone-aware datetimes in UTC with microseconds, decimals at the field's
places, JSON with sorted keys and compact separators (integral floats as integers: jsonb
keeps ``1e2`` as ``100``), bytes as hex, UUIDs as 32 hex digits, durations in microseconds.

A row's digest is 64 bits of BLAKE2b over its canonical texts; a table's digest is the sum of
its rows' digests modulo 2**64, so it does not depend on row order (collations may order
text keys differently on each side).
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import uuid
from collections.abc import Callable, Sequence
from hashlib import blake2b
from typing import Any

from .schema import Column, Table

__all__ = ["MASK64", "RowHasher", "normaliser"]

MASK64 = (1 << 64) - 1
_NULL = "\x00N"
_SEP = "\x1f"


def _text(value: Any) -> str:
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode("utf-8", "surrogateescape")
    return str(value)


def _int(value: Any) -> str:
    return str(int(value))


def _bool(value: Any) -> str:
    if isinstance(value, str):
        return "1" if value.lower() in ("1", "t", "true") else "0"
    return "1" if value else "0"


def _float(value: Any) -> str:
    return repr(float(value))


def _datetime(value: Any) -> str:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)  # Django keeps naive UTC in SQLite
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def _date(value: Any) -> str:
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    if isinstance(value, dt.datetime):
        value = value.date()
    return value.isoformat()


def _time(value: Any) -> str:
    if isinstance(value, str):
        value = dt.time.fromisoformat(value)
    return value.replace(tzinfo=None).isoformat(timespec="microseconds")


def _duration(value: Any) -> str:
    if isinstance(value, dt.timedelta):
        return str((value.days * 86400 + value.seconds) * 10**6 + value.microseconds)
    return str(int(value))  # SQLite: bigint microseconds


def _uuid(value: Any) -> str:
    return value.hex if isinstance(value, uuid.UUID) else uuid.UUID(str(value)).hex


def _bytes(value: Any) -> str:
    if isinstance(value, str):
        value = value.encode()
    return bytes(value).hex()


def _json_canonical(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_canonical(v) for v in value]
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _json(value: Any) -> str:
    if isinstance(value, bytes | memoryview):
        value = bytes(value).decode()
    if isinstance(value, str):
        value = json.loads(value)
    return json.dumps(
        _json_canonical(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


def normaliser(column: Column) -> Callable[[Any], str]:
    """The function turning one value of ``column`` (either engine) into canonical text."""
    if column.kind == "decimal":
        places = column.decimal_places
        quantum = decimal.Decimal(1).scaleb(-places) if places is not None else None

        def _decimal(value: Any) -> str:
            number = decimal.Decimal(repr(value) if isinstance(value, float) else str(value))
            if quantum is not None:
                number = number.quantize(quantum, rounding=decimal.ROUND_HALF_EVEN)
            return str(number)

        return _decimal
    return {
        "int": _int,
        "bool": _bool,
        "float": _float,
        "datetime": _datetime,
        "date": _date,
        "time": _time,
        "duration": _duration,
        "json": _json,
        "uuid": _uuid,
        "bytes": _bytes,
    }.get(column.kind, _text)


class RowHasher:
    """Digests of ``table``'s rows as read with its columns in order (either engine)."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self._normalisers = [normaliser(c) for c in table.columns]
        self._pk_index = [c.name for c in table.columns].index(table.pk)
        self._pk_normaliser = self._normalisers[self._pk_index]

    def key(self, row: Sequence[Any]) -> str:
        """The row's primary key as canonical text (matches across engines)."""
        return self._pk_normaliser(row[self._pk_index])

    def digest(self, row: Sequence[Any]) -> int:
        parts = [
            _NULL if v is None else fn(v) for fn, v in zip(self._normalisers, row, strict=True)
        ]
        text = _SEP.join(parts).encode("utf-8", "surrogateescape")
        return int.from_bytes(blake2b(text, digest_size=8).digest(), "big")

    def pk_value(self, key: str) -> Any:
        """A canonical key back to a value PostgreSQL compares with the key column."""
        kind = self.table.pk_column.kind
        if kind == "int":
            return int(key)
        if kind == "uuid":
            return uuid.UUID(hex=key)
        return key
