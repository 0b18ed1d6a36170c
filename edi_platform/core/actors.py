"""Who did it: the one ``acting_user`` convention of every service.

Services that record who acted take ``acting_user``: a Django user (the operator in the
admin, or a user named on a command line), or ``None``. ``None`` never means "anybody": it
means the caller is not a logged-in operator, and :func:`actor_label` names it by the kind
of work — ``cli:<os user>`` for operator services run from a shell (reset, reverse,
reprocess, close gap: only an operator at a terminal calls them without a user), ``system``
for the platform's own work (assembly, recovery, publishing). Services never take a string
for the actor; the label is computed here, once.
"""

from __future__ import annotations

import getpass
from typing import Any

__all__ = ["SYSTEM", "actor_label"]

SYSTEM = "system"
MAX_LENGTH = 150  # the actor columns of the audit tables


def actor_label(acting_user: Any, *, system: bool = False) -> str:
    """The audit label of ``acting_user``: the user name, or for ``None`` ``system`` (when
    ``system``: the platform's own work) or ``cli:<os user>`` (an operator at a shell)."""
    if acting_user is not None:
        return acting_user.get_username()[:MAX_LENGTH]
    if system:
        return SYSTEM
    try:
        return f"cli:{getpass.getuser()}"[:MAX_LENGTH]
    except Exception:  # no user name in this environment (containers)
        return "cli"
