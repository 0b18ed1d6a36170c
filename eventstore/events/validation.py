"""A small JSON-schema subset validator for event payloads (stdlib only).

Supported keywords: ``type`` (a name or a list of names: object, string, boolean, integer,
null, array), ``properties``, ``required``, ``additionalProperties`` (``False`` only),
``enum``, ``maxLength``, ``format: "date"`` (YYYY-MM-DD), ``items``. That is all the event
schemas need; a full JSON Schema library would cost a dependency and ~10x the time per event.

Error messages name the path and the rule broken, never the value (payloads carry PHI).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

_PY_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "string": (str,),
    "boolean": (bool,),
    "integer": (int,),
    "null": (type(None),),
    "array": (list, tuple),
}


class SchemaViolation(ValueError):
    """The payload does not match its event type's schema (message: paths and rules only)."""


def _type_ok(value: Any, names: str | list[str]) -> bool:
    for name in [names] if isinstance(names, str) else names:
        if name == "integer" and isinstance(value, bool):
            continue
        if isinstance(value, _PY_TYPES[name]):
            return True
    return False


def _is_date(value: str) -> bool:
    if len(value) != 10:
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def errors(value: Any, schema: Mapping[str, Any], path: str = "$") -> list[str]:
    """Every violation of ``schema`` by ``value`` as ``"<path>: <rule>"`` strings."""
    found: list[str] = []
    wanted = schema.get("type")
    if wanted is not None and not _type_ok(value, wanted):
        return [f"{path}: expected {wanted}"]
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{path}: not one of the allowed codes")
    if isinstance(value, str):
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            found.append(f"{path}: longer than {schema['maxLength']}")
        if schema.get("format") == "date" and not _is_date(value):
            found.append(f"{path}: not a YYYY-MM-DD date")
    elif isinstance(value, dict):
        props = schema.get("properties", {})
        for key in schema.get("required", ()):
            if key not in value:
                found.append(f"{path}.{key}: required")
        for key, item in value.items():
            sub = props.get(key)
            if sub is None:
                if schema.get("additionalProperties", True) is False:
                    found.append(f"{path}.{key}: not allowed")
                continue
            found.extend(errors(item, sub, f"{path}.{key}"))
    elif isinstance(value, list | tuple) and "items" in schema:
        for i, item in enumerate(value):
            found.extend(errors(item, schema["items"], f"{path}[{i}]"))
    return found


def validate(value: Any, schema: Mapping[str, Any], *, label: str = "payload") -> None:
    """Raise :class:`SchemaViolation` listing every violation (no values, paths only)."""
    problems = errors(value, schema)
    if problems:
        raise SchemaViolation(f"{label} invalid: " + "; ".join(problems[:10]))


# --- fast path ------------------------------------------------------------------------------
# Appends validate tens of thousands of payloads per second: each schema is compiled once into
# a closure answering only "valid or not"; the detailed (slower) ``errors`` runs on failure.

_COMPILED: dict[int, Any] = {}


def _compile(schema: Mapping[str, Any]):
    wanted = schema.get("type")
    names = () if wanted is None else ((wanted,) if isinstance(wanted, str) else tuple(wanted))
    allow_null = "null" in names
    enum = schema.get("enum")
    max_length = schema.get("maxLength")
    is_date = schema.get("format") == "date"
    if "object" in names:
        props = {k: _compile(v) for k, v in schema.get("properties", {}).items()}
        required = tuple(schema.get("required", ()))
        closed = schema.get("additionalProperties", True) is False

        def check_object(value: Any) -> bool:
            if type(value) is not dict:
                return allow_null and value is None
            for key in required:
                if key not in value:
                    return False
            for key, item in value.items():
                check = props.get(key)
                if check is None:
                    if closed:
                        return False
                elif not check(item):
                    return False
            return True

        return check_object
    if names and set(names) <= {"string", "null"}:

        def check_string(value: Any) -> bool:
            if value is None:
                return allow_null
            if type(value) is not str:
                return False
            if max_length is not None and len(value) > max_length:
                return False
            if is_date and not _is_date(value):
                return False
            return enum is None or value in enum

        return check_string
    if names == ("boolean",):
        return lambda value: type(value) is bool
    if names == ("integer",):
        return lambda value: type(value) is int
    # Anything else: the general validator.
    return lambda value: not errors(value, schema)


def is_valid(value: Any, schema: Mapping[str, Any]) -> bool:
    """True when ``value`` satisfies ``schema`` (compiled once per schema object)."""
    check = _COMPILED.get(id(schema))
    if check is None:
        check = _COMPILED[id(schema)] = _compile(schema)
    return check(value)
