"""Which data can hold PHI, and the permission that shows it: one classification, declared by
each app for each of its models, read by the admin (and the API) everywhere it shows data.

Every model of the platform is classified (a test fails for one that is not): either it holds
no PHI, or it names the fields (or the stored file) that can, and the permission a user needs
to see them. Without that permission the admin leaves those fields out of every page, and the
views that serve the content (downloads, previews, CSV) refuse with 403. The permission is the
one the data belongs with: member data and event payloads ``eventstore.view_member``, raw
inbound files ``eventstore.view_raw_file``, outbound file contents and outcome payloads (999
IK404 copies of bad values, CTX member ids; 271/277 answers) ``outbound.view_file_content``.

Each app declares its classification in its ``phi.py``, imported from its ``ready()``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

__all__ = ["PhiClass", "classified_labels", "classify", "phi_class", "phi_fields_hidden_from"]


@dataclass(frozen=True)
class PhiClass:
    label: str  # "app_label.ModelName"
    permission: str | None  # None: the model holds no PHI
    fields: tuple[str, ...] = ()  # the fields (or admin displays) that can hold PHI
    what: str = ""  # for people: what PHI, where (shown in the README's table)

    @property
    def holds_phi(self) -> bool:
        return self.permission is not None


_lock = threading.Lock()
_classes: dict[str, PhiClass] = {}


def classify(
    label: str, *, permission: str | None = None, fields: tuple[str, ...] = (), what: str = ""
) -> PhiClass:
    """Declare what PHI the model ``label`` can hold (``permission`` None: none)."""
    if (permission is None) != (not fields and not what):
        raise ValueError(f"{label}: a PHI class names its permission and what it covers")
    entry = PhiClass(label=label.lower(), permission=permission, fields=fields, what=what)
    with _lock:
        _classes[entry.label] = entry
    return entry


def phi_class(model_or_label: Any) -> PhiClass | None:
    """The classification of a model (its concrete model for a proxy), or None."""
    if isinstance(model_or_label, str):
        return _classes.get(model_or_label.lower())
    meta = model_or_label._meta
    concrete = meta.concrete_model._meta if meta.proxy else meta
    return _classes.get(f"{concrete.app_label}.{concrete.model_name}")


def phi_fields_hidden_from(user: Any, model: Any) -> tuple[str, ...]:
    """The PHI fields of ``model`` that ``user`` may not see (empty when none or allowed)."""
    entry = phi_class(model)
    if entry is None or not entry.holds_phi or user.has_perm(entry.permission):
        return ()
    return entry.fields


def classified_labels() -> set[str]:
    return set(_classes)
