"""The house's layering, checked on every test run: dependencies point down, no import cycles,
the engine is pure, inbound never reaches into the ledger, no god modules.

Layers, lower first: ``edi_platform.x12`` <- ``edi_platform.core`` <- ``edi_platform.ops`` <-
``edi_platform.partners`` <- ``controlnumbers`` <- ``eventstore`` <- ``outbound`` <- ``api``
(the HTTP API calls the apps' services; nothing below it imports it). ``ops``
(migrate, back up, restore) addresses the apps above it only generically and through its
invariant registry, which they fill; ``edi_platform.celery`` is a leaf every
layer may load, and the project package (settings, urls) sees everything. Imports are read
from the source text (module level and inside functions), so they are what Python loads.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("edi_platform", "controlnumbers", "eventstore", "outbound", "api")
LAYERS = (
    "edi_platform.celery",
    "edi_platform.x12",
    "edi_platform.core",
    "edi_platform.ops",
    "edi_platform.partners",
    "controlnumbers",
    "eventstore",
    "outbound",
    "api",
    "edi_platform",
)
LONG_MODULE_LINES = 700


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts or "__pycache__" in path.parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(module: str, path: Path) -> set[str]:
    """Every name ``module`` imports (absolute, resolved to the longest module we know or
    kept as written for third-party and standard-library names)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package[: len(package) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                names.add(full if full in MODULES else base)
    resolved = set()
    for name in names:
        known = name
        while known and known not in MODULES:
            known = known.rpartition(".")[0]
        resolved.add(known or name)
    resolved.discard(module)
    return resolved


GRAPH = {m: _imports(m, p) for m, p in MODULES.items()}


def _layer(module: str) -> int:
    best, length = len(LAYERS), -1
    for index, prefix in enumerate(LAYERS):
        if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > length:
            best, length = index, len(prefix)
    return best


def _upward(graph: dict[str, set[str]]) -> list[str]:
    return sorted(
        f"{m} -> {d}"
        for m, deps in graph.items()
        for d in deps
        if d in graph and _layer(d) > _layer(m)
    )


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    sys.setrecursionlimit(10000)
    internal = {
        m: {d for d in deps if d in graph and not d.startswith(m + ".")}
        for m, deps in graph.items()
    }
    state: dict[str, int] = {}  # 1 visiting, 2 done
    cycles: list[list[str]] = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for dep in sorted(internal[node]):
            if state.get(dep) == 1:
                cycles.append([*trail[trail.index(dep) :], dep])
            elif dep not in state:
                visit(dep, [*trail, dep])
        state[node] = 2

    for module in sorted(internal):
        if module not in state:
            visit(module, [module])
    return cycles


def test_dependencies_point_down_the_layers():
    assert _upward(GRAPH) == []


def test_there_is_no_import_cycle():
    assert _cycles(GRAPH) == []


def test_the_checks_see_a_planted_upward_import_and_a_planted_cycle():
    planted = {m: set(deps) for m, deps in GRAPH.items()}
    planted["edi_platform.x12.engine"].add("outbound.services.assembly")
    assert _upward(planted) == ["edi_platform.x12.engine -> outbound.services.assembly"]
    planted["controlnumbers.locator"].add("controlnumbers.services.remediation")
    assert [
        "controlnumbers.locator",
        "controlnumbers.services.remediation",
        "controlnumbers.locator",
    ] in _cycles(planted)


def test_the_engine_imports_nothing_of_the_project_or_of_django():
    foreign = sorted(
        f"{m} -> {d}"
        for m, deps in GRAPH.items()
        if m.startswith("edi_platform.x12")
        for d in deps
        if d.split(".")[0] in ("django", "celery", *PACKAGES)
        and not d.startswith("edi_platform.x12")
    )
    assert foreign == []


def test_inbound_never_imports_the_ledger():
    reaching = sorted(
        f"{m} -> {d}"
        for m, deps in GRAPH.items()
        if m.startswith("eventstore.inbound")
        for d in deps
        if d.startswith("eventstore.ledger")
    )
    assert reaching == []


def test_no_module_is_a_god_module():
    long = {
        m: n
        for m, path in MODULES.items()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > LONG_MODULE_LINES
    }
    assert long == {}
