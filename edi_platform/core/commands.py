"""The house base class of management commands: a summary or a clear message, never a
traceback.

A command is a thin interface over a service; what can go wrong beneath it (the database or
Redis unreachable, storage full, a refusal of the service) reaches the operator as one line
saying what happened and what to do, with exit status 1. The exception's text is not shown
for errors that may quote data (database errors quote rows); its class and SQLSTATE are.
Programming errors still surface as tracebacks with ``--traceback`` (Django's own flag).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, InterfaceError

from .retry import sqlstate_of

__all__ = ["PlatformCommand", "operator_message"]


def operator_message(exc: BaseException) -> str | None:
    """A one-line explanation for an infrastructure failure, or None for anything else."""
    name = type(exc).__name__
    if isinstance(exc, DatabaseError | InterfaceError):
        state = sqlstate_of(exc) or "unknown"
        if state.startswith("08") or state.startswith("57P") or isinstance(exc, InterfaceError):
            return (
                f"the database is unreachable ({name}, SQLSTATE {state}): check DATABASE_URL "
                "and that the server is up, then run the command again; finished work is kept"
            )
        return (
            f"the database refused the work ({name}, SQLSTATE {state}); nothing of the "
            "failed step was saved. Run again; if it persists, check the server log"
        )
    try:
        import redis

        if isinstance(exc, redis.RedisError):
            return (
                f"Redis is unreachable ({name}): check OUTBOUND_REDIS_URL / "
                "CELERY_BROKER_URL; messages wait and are sent on the next run"
            )
    except ImportError:  # pragma: no cover - redis is a dependency
        pass
    if isinstance(exc, OSError):
        return (
            f"a file operation failed ({name}, errno {exc.errno}): check the storage "
            "directories (space, permissions) and run again"
        )
    return None


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
