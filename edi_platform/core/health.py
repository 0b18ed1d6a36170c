"""``/healthz``: is this installation able to work? For load balancers and monitors.

One JSON answer, 200 when every check passes and 503 otherwise::

    {"status": "ok", "checks": {"database": {"ok": true, "ms": 0.8}, ...}}

The platform's own checks are the database (a query), the scheduler heartbeat (Celery beat
or ``run_scheduler`` dispatched a scheduled task recently) and the worker heartbeat (a
worker ran the heartbeat task recently); the apps add theirs from ``ready()`` with
:func:`register_check` (inbound: its storage is writable; outbound: its storage is writable
and, when configured, Redis answers). ``?check=database,storage`` limits the answer to the
named checks (a web node's load-balancer probe that should not fail when the scheduler is
late). Checks answer codes, ages and class names only: no data, no exception text.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse

__all__ = [
    "CheckResult",
    "HealthCheck",
    "health",
    "healthz_view",
    "register_check",
    "storage_writable",
]

logger = logging.getLogger(__name__)


@dataclass
class CheckResult:
    ok: bool
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class HealthCheck:
    name: str  # "database", "redis", "storage.inbound", ...
    check: Callable[[], CheckResult]
    order: int = 100


_lock = threading.Lock()
_checks: dict[str, HealthCheck] = {}


def register_check(check: HealthCheck) -> HealthCheck:
    """Add (or replace, by name) a health check."""
    with _lock:
        _checks[check.name] = check
    return check


def _database() -> CheckResult:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return CheckResult(ok=True, detail={"vendor": connection.vendor})


def _scheduler() -> CheckResult:
    from .selectors import scheduler_status

    status = scheduler_status()
    return CheckResult(
        ok=not status.scheduler_stale,
        detail={
            "last_dispatch_at": _iso(status.last_dispatch_at),
            "late_tasks": [late.name for late in status.late_tasks],
        },
    )


def _worker() -> CheckResult:
    from .selectors import scheduler_status

    status = scheduler_status()
    return CheckResult(
        ok=not status.worker_stale,
        detail={"last_beat_at": _iso(status.last_beat_at)},
    )


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


register_check(HealthCheck("database", _database, order=0))
register_check(HealthCheck("scheduler", _scheduler, order=80))
register_check(HealthCheck("worker", _worker, order=90))


def storage_writable(alias: str) -> CheckResult:
    """A Django storage accepts a small file (written, read back, deleted)."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import storages

    storage = storages[alias]
    name = storage.save(f"_healthz/{uuid.uuid4().hex}.probe", ContentFile(b"ok"))
    try:
        with storage.open(name, "rb") as fh:
            ok = fh.read() == b"ok"
    finally:
        storage.delete(name)
    return CheckResult(ok=ok)


def health(*, only: set[str] | None = None) -> tuple[bool, dict[str, Any]]:
    """Run the checks (``only``: names, or prefixes before a dot); (all ok, per check)."""
    results: dict[str, Any] = {}
    for check in sorted(_checks.values(), key=lambda c: (c.order, c.name)):
        if only and check.name not in only and check.name.split(".")[0] not in only:
            continue
        started = time.perf_counter()
        try:
            result = check.check()
        except Exception as exc:  # a failing check is the answer, not an error page
            result = CheckResult(ok=False, detail={"error": type(exc).__name__})
        results[check.name] = {
            "ok": result.ok,
            "ms": round((time.perf_counter() - started) * 1000, 1),
            **result.detail,
        }
    return all(r["ok"] for r in results.values()), results


def healthz_view(request: HttpRequest) -> HttpResponse:
    """200 ``{"status": "ok", ...}`` or 503 ``{"status": "fail", ...}`` (no login: it says
    nothing but states)."""
    if request.method not in ("GET", "HEAD"):
        return HttpResponse(status=405, headers={"Allow": "GET, HEAD"})
    wanted = {n.strip() for n in request.GET.get("check", "").split(",") if n.strip()}
    ok, checks = health(only=wanted or None)
    if not ok:
        failing = sorted(name for name, result in checks.items() if not result["ok"])
        logger.debug("healthz: failing checks %s", ",".join(failing))
    body = json.dumps({"status": "ok" if ok else "fail", "checks": checks}, sort_keys=True)
    response = HttpResponse(body, status=200 if ok else 503, content_type="application/json")
    response["Cache-Control"] = "no-store"
    return response
