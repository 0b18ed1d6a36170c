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
