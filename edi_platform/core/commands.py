"""The house base class of management commands: a summary or a clear message, never a
traceback.

A command is a thin interface over a service; what can go wrong beneath it (the database or
Redis unreachable, storage full, a value the schema refuses) reaches the operator as one line
from the error classifier (:func:`edi_platform.core.retry.classify`): what happened and what
to do, with exit status 1. The exception's own text is not shown (a database error may quote
rows); its class and code are. Programming errors (nothing the classifier recognises) still
surface as tracebacks, and ``--traceback`` shows every one.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from .retry import classify

__all__ = ["PlatformCommand", "operator_message"]


def operator_message(exc: BaseException) -> str | None:
    """One line for an infrastructure failure (database, Redis, storage), else None."""
    found = classify(exc)
    if found.source == "application":
        return None
    return (
        f"{found.source} error {found.code} ({found.action}): {found.suggestion}. "
        "Work already finished is kept; run the command again once this is fixed."
    )


class PlatformCommand(BaseCommand):
    """Base class of every command of the platform (see the module docstring)."""

    def execute(self, *args: Any, **options: Any) -> Any:
        try:
            return super().execute(*args, **options)
        except CommandError:
            raise
        except Exception as exc:
            message = operator_message(exc)
            if message is None or options.get("traceback"):
                raise
            raise CommandError(message, returncode=1) from exc
