"""Response types: one module per response type in this package, and this registry.

A response type (TA1, 999, 271, 277CA, 277, 835) is everything the platform knows about one
kind of answer, declared once as a :class:`ResponseSpec` in its own module here:

* the response type and its label;
* the functional identifier (GS01) it travels under, or None when it travels without a
  functional group (the TA1);
* the control-number transaction type its ST02 counter is kept under;
* the default batch window and SLA (operators edit them as Batch windows in the admin);
* the renderer: outcome contents + envelope → the bytes of one interchange;
* where it answers an inbound transaction set, the inbound handlers it registers by ST01
  (e.g. a 271 answers ST01 270): they stage the outcomes this responder renders;
* optionally: the implementation guide it follows (``guide_version``), the SNIP level its
  files are checked to (``validation_snip_level``), whether each answered inbound batch gets
  files of its own (``group_by_batch``). Every file of every type is validated by the
  engine's ``validate_outbound`` (envelope + our own guide) before it is stored. Every
  response's content counts as PHI (outcome payloads and files are classified in
  :mod:`outbound.phi`: ``outbound.view_file_content``).

Assembly, outcome staging, rendering, the default batch windows, the admin and the
``assemble_outbound`` command read this registry; nothing else lists response types.
Adding a response type is adding one module here (and its tests): every module of this
package that declares ``SPEC = register(ResponseSpec(...))`` is loaded by :func:`load`,
called from ``OutboundConfig.ready()``. See ``README.md`` beside this file for a template.
"""

from __future__ import annotations

import importlib
import pkgutil
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from edi_platform import x12

__all__ = [
    "Renderer",
    "ResponseSpec",
    "UnknownResponseType",
    "load",
    "register",
    "response_types",
    "spec_for",
    "specs",
]

# contents (one per outcome, in order), envelope parameters (control numbers included),
# ST02 texts (one per transaction set; empty without a functional group) -> bytes
Renderer = Callable[[Sequence[dict[str, Any]], x12.EnvelopeParams, list[str]], bytes]


@dataclass(frozen=True)
class ResponseSpec:
    """Everything the platform knows about one response type (see the module docstring)."""

    response_type: str
    label: str
    functional_id: str | None
    counter_type: str
    window_minutes: int
    sla_minutes: int | None
    render: Renderer
    priority: int = 100
    max_batch_size: int = 100
    # (inbound ST01, handler) pairs registered with inbound routing at start-up; a handler
    # is a function of one set, or an inbound BulkHandler of many (the 837 -> 277CA)
    answers: tuple[tuple[str, Any], ...] = ()
    # Implementation guide (GS08/ST03) its sets follow: assembly validates every file of
    # this type with the engine's guide before it is stored (quarantined on any finding).
    guide_version: str | None = None
    # Highest WEDI SNIP type its files are checked to before they leave (2: syntax and the
    # guide; 3: also balancing, e.g. an 835; 4: also situational rules).
    validation_snip_level: int = 2
    # One file per answered inbound batch (interchange): outcomes of different batches are
    # never assembled together (a real-time answer is its own interchange).
    group_by_batch: bool = False

    @property
    def uses_group(self) -> bool:
        """Whether the interchange carries a functional group (every response but the TA1)."""
        return self.functional_id is not None


class UnknownResponseType(LookupError):
    """No responder module declares this response type."""


_lock = threading.Lock()
_specs: dict[str, ResponseSpec] = {}
_loaded = False


def register(spec: ResponseSpec) -> ResponseSpec:
    """Declare a response type (called at import by its module); returns the spec."""
    with _lock:
        _specs[spec.response_type] = spec
    return spec


def load() -> None:
    """Import every responder module of this package (once per process)."""
    global _loaded
    if _loaded:
        return
    for module in pkgutil.iter_modules(__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")
    _loaded = True


def specs() -> list[ResponseSpec]:
    """Every response type, by priority (lower first) then name."""
    load()
    return sorted(_specs.values(), key=lambda s: (s.priority, s.response_type))


def response_types() -> list[str]:
    return [s.response_type for s in specs()]


def spec_for(response_type: str) -> ResponseSpec:
    """The spec of ``response_type``; raises :class:`UnknownResponseType`."""
    load()
    try:
        return _specs[response_type]
    except KeyError:
        raise UnknownResponseType(f"no responder for response type {response_type!r}") from None
