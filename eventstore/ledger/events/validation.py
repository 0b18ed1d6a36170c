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
# ONE generated Python function answering only "valid or not" (every property check inlined:
# a call per property cost more than the checks themselves); the detailed (slower) ``errors``
# runs on failure only. The generated code is built from our own schema dicts, never from data.

_COMPILED: dict[int, Any] = {}
_MISSING = object()


class _Generator:
    """Emits the statements of one check function; each failing branch ``return False``."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.consts: dict[str, Any] = {"_MISSING": _MISSING, "_is_date": _is_date}
        self.count = 0

    def name(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def const(self, value: Any) -> str:
        key = self.name("_c")
        self.consts[key] = value
        return key

    def emit(self, indent: int, text: str) -> None:
        self.lines.append("    " * indent + text)

    def check(self, schema: Mapping[str, Any], var: str, indent: int) -> None:
        wanted = schema.get("type")
        names = () if wanted is None else ((wanted,) if isinstance(wanted, str) else tuple(wanted))
        allow_null = "null" in names
        kinds = set(names) - {"null"}
        not_null = f"{var} is not None" if allow_null else "True"
        if kinds == {"object"}:
            self.emit(indent, f"if type({var}) is not dict:")
            self.emit(indent + 1, f"if {not_null}: return False")
            self.emit(indent, "else:")
            self.object_body(schema, var, indent + 1)
        elif kinds == {"string"}:
            self.emit(indent, f"if type({var}) is not str:")
            self.emit(indent + 1, f"if {not_null}: return False")
            self.emit(indent, "else:")
            self.emit(indent + 1, "pass")
            if schema.get("maxLength") is not None:
                self.emit(indent + 1, f"if len({var}) > {int(schema['maxLength'])}: return False")
            if schema.get("format") == "date":
                self.emit(indent + 1, f"if not _is_date({var}): return False")
            if schema.get("enum") is not None:
                enum = self.const(frozenset(schema["enum"]))
                self.emit(indent + 1, f"if {var} not in {enum}: return False")
        elif kinds == {"boolean"} and not allow_null:
            self.emit(indent, f"if type({var}) is not bool: return False")
        elif kinds == {"integer"} and not allow_null:
            self.emit(indent, f"if type({var}) is not int: return False")
        else:  # anything else: the general validator
            ref = self.const(schema)
            self.emit(indent, f"if errors({var}, {ref}): return False")

    def object_body(self, schema: Mapping[str, Any], var: str, indent: int) -> None:
        props = schema.get("properties", {})
        keys = self.name("k")
        self.emit(indent, f"{keys} = {var}.keys()")
        required = frozenset(schema.get("required", ()))
        if required:
            self.emit(indent, f"if not {self.const(required)} <= {keys}: return False")
        if schema.get("additionalProperties", True) is False:
            self.emit(indent, f"if not {keys} <= {self.const(frozenset(props))}: return False")
        for key, sub in props.items():
            item = self.name("x")
            self.emit(indent, f"{item} = {var}.get({key!r}, _MISSING)")
            self.emit(indent, f"if {item} is not _MISSING:")
            self.check(sub, item, indent + 1)


def _compile(schema: Mapping[str, Any]):
    gen = _Generator()
    gen.consts["errors"] = errors
    gen.check(schema, "value", 1)
    source = "def check(value):\n" + "\n".join(gen.lines) + "\n    return True\n"
    namespace: dict[str, Any] = dict(gen.consts)
    exec(compile(source, "<event schema check>", "exec"), namespace)  # source: our own schemas
    return namespace["check"]


def is_valid(value: Any, schema: Mapping[str, Any]) -> bool:
    """True when ``value`` satisfies ``schema`` (compiled once per schema object)."""
    check = _COMPILED.get(id(schema))
    if check is None:
        check = _COMPILED[id(schema)] = _compile(schema)
    return check(value)
