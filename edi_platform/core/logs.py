"""Logs as JSON lines, with correlation ids (``LOG_FORMAT=json``, the default), or plain
text for development (``LOG_FORMAT=text``, what ``make run`` uses).

One line per event::

    {"ts": "2025-05-01T10:00:00.123Z", "level": "INFO", "logger": "eventstore.inbound...",
     "message": "inbound batch 12: ACCEPTED (...)", "batch_id": 12, "process": 4711}

Correlation ids come from :func:`log_context` (a context variable, so they follow the work
through the functions it calls: ingest sets ``batch_id``, assembly ``file_id`` and
``outcome_ids``, the publisher ``file_id``, Celery tasks ``task`` and ``task_id``, admin
requests ``request_id``) and from a record's ``extra`` when the key is one of
:data:`CORRELATION_KEYS`. Nothing else of a record is copied: messages carry ids, codes and
counts only (the platform's rule), and an exception is written as its class and frames
(:func:`~edi_platform.x12.logsafe.exception_summary`), never its text, which may quote data.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import json
import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

from edi_platform.x12.logsafe import exception_summary

__all__ = [
    "CORRELATION_KEYS",
    "JsonFormatter",
    "RedactQueryFilter",
    "TextFormatter",
    "connect_task_context",
    "current_context",
    "log_context",
    "logged_with",
]

CORRELATION_KEYS = (
    "request_id",
    "task",
    "task_id",
    "batch_id",
    "header_id",
    "file_id",
    "outcome_id",
    "outcome_ids",
    "message_id",
    "run",
    "partner",
    "response_type",
)

F = TypeVar("F", bound=Callable[..., Any])

# a tuple of (key, value) pairs: immutable, so nested blocks never share a dict
_context: contextvars.ContextVar[tuple[tuple[str, Any], ...]] = contextvars.ContextVar(
    "edi_log_context", default=()
)


@contextmanager
def log_context(**ids: Any) -> Iterator[None]:
    """Add correlation ids to every log line written inside the block (nested blocks add
    to the outer ones). Ids only: numbers, UUIDs, codes."""
    unknown = set(ids) - set(CORRELATION_KEYS)
    if unknown:
        raise ValueError(f"not correlation ids: {sorted(unknown)}")
    merged = {**dict(_context.get()), **{k: v for k, v in ids.items() if v is not None}}
    token = _context.set(tuple(merged.items()))
    try:
        yield
    finally:
        _context.reset(token)


def logged_with(key: str, argument: str, attribute: str = "pk") -> Callable[[F], F]:
    """Decorator: run the function inside ``log_context(key=<kwargs[argument].attribute>)``
    (e.g. ``@logged_with("batch_id", "batch")`` on ``def f(*, batch)``)."""

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            value = getattr(kwargs.get(argument), attribute, None)
            if value is None:
                return fn(*args, **kwargs)
            with log_context(**{key: value}):
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def current_context() -> dict[str, Any]:
    return dict(_context.get())


def _plain(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in list(value)[:50]]
    return str(value)


class JsonFormatter(logging.Formatter):
    """One JSON object per line (see the module docstring)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        for key, value in current_context().items():
            entry[key] = _plain(value)
        for key in CORRELATION_KEYS:
            if key in record.__dict__:
                entry[key] = _plain(record.__dict__[key])
        if record.exc_info and record.exc_info[1] is not None:
            entry["exception"] = exception_summary(record.exc_info[1])
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """Plain text for development, correlation ids at the end; exceptions as class and
    frames (like the JSON lines)."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        saved = record.exc_info, record.exc_text
        summary = exception_summary(record.exc_info[1]) if record.exc_info else ""
        record.exc_info, record.exc_text = None, None
        try:
            text = super().format(record)
        finally:
            record.exc_info, record.exc_text = saved
        ids = {
            **current_context(),
            **{k: record.__dict__[k] for k in CORRELATION_KEYS if k in record.__dict__},
        }
        if ids:
            text += " [" + " ".join(f"{k}={_plain(v)}" for k, v in ids.items()) + "]"
        if summary:
            text += f" ({summary})"
        return text


class RedactQueryFilter(logging.Filter):
    """Request lines (``django.server``, ``django.request``) without their query strings:
    a search box or a filter may carry anything a user typed, a name included."""

    LOGGERS = ("django.server", "django.request")

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name in self.LOGGERS:
            message = record.getMessage()
            if "?" in message:
                record.msg = re.sub(r"\?[^\s\"']*", "?…", message)
                record.args = ()
        return True


_task_tokens: dict[str, contextvars.Token] = {}


def connect_task_context() -> None:
    """Every Celery task's log lines carry ``task`` and ``task_id`` (and its id arguments
    named like correlation ids, e.g. ``batch_id``)."""
    from celery.signals import task_postrun, task_prerun

    def started(task_id=None, task=None, kwargs=None, **_: Any) -> None:
        ids = {k: v for k, v in (kwargs or {}).items() if k in CORRELATION_KEYS}
        ids.update(task=getattr(task, "name", ""), task_id=task_id)
        merged = {**dict(_context.get()), **{k: v for k, v in ids.items() if v is not None}}
        _task_tokens[str(task_id)] = _context.set(tuple(merged.items()))

    def finished(task_id=None, **_: Any) -> None:
        token = _task_tokens.pop(str(task_id), None)
        if token is not None:
            with contextlib.suppress(ValueError):  # reset from another context
                _context.reset(token)

    task_prerun.connect(started, weak=False, dispatch_uid="edi-log-context-start")
    task_postrun.connect(finished, weak=False, dispatch_uid="edi-log-context-end")
