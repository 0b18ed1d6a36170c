"""Permission groups: who may see and do what, as three roles the apps fill.

* **EDI auditor** — reads every record that holds no PHI (batches, sets, counters and their
  audit, alerts, files sent and outcomes without their content, outbox, operator actions,
  reversals, partners, windows, schedules, reports without PHI). Changes nothing.
* **EDI operator** — what the auditor reads, plus PHI for the work (member history, file
  contents and outcome payloads), and the daily actions: upload files, reprocess batches
  and quarantined files, resubmit dead letters, run the schedules now.
* **EDI administrator** — what the operator does, plus the raw received files and the
  actions that change history or set-up: reset / roll over counters, close gaps, reverse
  batches, edit partners, batch windows, eligibility policies and schedules.

Each app grants its own permissions from ``ready()`` with :func:`grant` (the console never
lists another app's permissions); ``manage.py setup_groups`` (also run by ``make run``)
creates the groups and gives each exactly its declared permissions — run it again after an
upgrade. Make your own groups for variations: these three are reset by the command.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

__all__ = [
    "ADMINISTRATOR",
    "AUDITOR",
    "OPERATOR",
    "ROLES",
    "GroupsSetupResult",
    "grant",
    "groups_setup",
    "role_permissions",
]

AUDITOR = "EDI auditor"
OPERATOR = "EDI operator"
ADMINISTRATOR = "EDI administrator"
ROLES = (AUDITOR, OPERATOR, ADMINISTRATOR)
# a role has what the roles it includes have
_INCLUDES = {AUDITOR: (), OPERATOR: (AUDITOR,), ADMINISTRATOR: (OPERATOR,)}

_lock = threading.Lock()
_grants: dict[str, set[str]] = {role: set() for role in ROLES}


def grant(role: str, *permissions: str) -> None:
    """Give ``role`` (and the roles that include it) ``permissions`` ("app.codename")."""
    if role not in _grants:
        raise ValueError(f"unknown role {role!r}; one of {ROLES}")
    for permission in permissions:
        if permission.count(".") != 1:
            raise ValueError(f"{permission!r}: expected 'app_label.codename'")
    with _lock:
        _grants[role].update(permissions)


def role_permissions(role: str) -> set[str]:
    """Every permission of ``role``, those of the roles it includes too."""
    out = set(_grants[role])
    for included in _INCLUDES[role]:
        out |= role_permissions(included)
    return out


@dataclass(frozen=True)
class GroupsSetupResult:
    groups: dict[str, int]  # group name -> permissions given
    missing: list[str]  # declared permissions that do not exist (not migrated yet?)


def groups_setup() -> GroupsSetupResult:
    """Create the three groups and give each exactly its declared permissions."""
    from django.contrib.auth.models import Group, Permission
    from django.db import transaction

    missing: list[str] = []
    counts: dict[str, int] = {}
    with transaction.atomic():
        for role in ROLES:
            wanted = role_permissions(role)
            found = []
            for label in sorted(wanted):
                app_label, codename = label.split(".")
                perm = Permission.objects.filter(
                    content_type__app_label=app_label, codename=codename
                ).first()
                if perm is None:
                    missing.append(label)
                else:
                    found.append(perm)
            group, _ = Group.objects.get_or_create(name=role)
            group.permissions.set(found)
            counts[role] = len(found)
    return GroupsSetupResult(groups=counts, missing=sorted(set(missing)))
