"""``/metrics`` in the Prometheus text format (``prometheus_client``).

Two kinds of series, both registered by the apps (the console knows none of them):

* **instruments** — counters and histograms an app updates as work happens (a file
  ingested, an allocation, a file assembled). Each app declares its own in its
  ``metrics.py`` with :func:`counter` / :func:`histogram` (names ``edi_...``). With several
  processes on one machine (gunicorn workers, Celery workers, ``run_scheduler``) set
  ``PROMETHEUS_MULTIPROC_DIR`` to an empty directory shared by them, before they start:
  every process writes its samples there and ``/metrics`` answers their sum. Without it a
  process answers its own.
* **state** — gauges read from the database when scraped (pending outcomes and SLA breaches,
  projection lag, outbox depth, dead letters, quarantine, open alerts, heartbeat ages):
  the same answer from every web process. An app registers ``collect() -> families`` with
  :func:`register_metrics`; :func:`gauge` builds a family.

No PHI and no unbounded label values: labels are partner codes (the partner registry),
transaction and response types (the responder registry, GS01 → ST01), statuses and verdicts
(fixed choices). :func:`bounded` maps anything else to ``"other"``.

Access: ``METRICS_TOKEN`` (a bearer token: ``Authorization: Bearer <token>``) and/or
``METRICS_ALLOWED_NETWORKS`` (client addresses that need no token; default loopback only).
Anyone else gets 403.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import threading
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from edi_platform.x12.logsafe import exception_summary

__all__ = [
    "LATENCY_BUCKETS",
    "bounded",
    "counter",
    "gauge",
    "histogram",
    "metrics_allowed",
    "metrics_text",
    "metrics_view",
    "register_metrics",
]

logger = logging.getLogger(__name__)

# seconds: 5 ms .. 2 min (ingest of a large file, assembly of a full window)
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)

_lock = threading.Lock()
_sources: dict[str, Callable[[], Iterable[Metric]]] = {}
_instruments: dict[str, Any] = {}


def counter(name: str, documentation: str, labels: Sequence[str] = ()) -> Counter:
    """A process counter ``name`` (created once per process, whoever asks first)."""
    with _lock:
        if name not in _instruments:
            _instruments[name] = Counter(name, documentation, list(labels))
        return _instruments[name]


def histogram(
    name: str,
    documentation: str,
    labels: Sequence[str] = (),
    buckets: Sequence[float] = LATENCY_BUCKETS,
) -> Histogram:
    """A process histogram ``name`` (created once per process)."""
    with _lock:
        if name not in _instruments:
            _instruments[name] = Histogram(name, documentation, list(labels), buckets=buckets)
        return _instruments[name]


def register_metrics(name: str, collect: Callable[[], Iterable[Metric]]) -> None:
    """Add (or replace, by name) a source of gauges read when ``/metrics`` is scraped."""
    with _lock:
        _sources[name] = collect


def gauge(
    name: str, documentation: str, samples: Iterable[tuple[Sequence[str], float]], labels=()
) -> GaugeMetricFamily:
    """A gauge family: ``samples`` are (label values, value) pairs (``labels`` names them)."""
    family = GaugeMetricFamily(name, documentation, labels=list(labels))
    for values, value in samples:
        family.add_metric(list(values), float(value))
    return family


def bounded(value: Any, known: Collection[str], *, other: str = "other") -> str:
    """``value`` as a label value when it is one of ``known``, else ``other``."""
    text = str(value or "")
    return text if text in known else other


class _Scrape(Collector):
    """Everything one scrape answers: the instruments (this process, or every process of
    the machine in multiprocess mode) and the registered database gauges."""

    def collect(self) -> Iterable[Metric]:
        directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        if directory:
            from prometheus_client.multiprocess import MultiProcessCollector

            yield from MultiProcessCollector(None, path=directory).collect()
        else:
            yield from REGISTRY.collect()
        for name in sorted(_sources):
            try:
                yield from list(_sources[name]())
            except Exception as exc:  # a failing source must not hide the others
                logger.error("metrics source %s failed: %s", name, exception_summary(exc))
                yield gauge(
                    "edi_metrics_source_up",
                    "Whether a metrics source answered (0: see the log).",
                    [((name,), 0)],
                    labels=("source",),
                )


def metrics_text() -> bytes:
    """One scrape, in the Prometheus text format."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Scrape())
    return generate_latest(registry)


def _networks() -> list[Any]:
    out = []
    for text in settings.METRICS_ALLOWED_NETWORKS:
        try:
            out.append(ipaddress.ip_network(text.strip(), strict=False))
        except ValueError:
            logger.error("METRICS_ALLOWED_NETWORKS: %r is not a network", text[:60])
    return out


def metrics_allowed(request: HttpRequest) -> bool:
    """A matching bearer token, or a client address in ``METRICS_ALLOWED_NETWORKS``."""
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if (
        token
        and header.startswith("Bearer ")
        and hmac.compare_digest(header[7:].strip().encode(), token.encode())
    ):
        return True
    try:
        client = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(client in network for network in _networks())


def metrics_view(request: HttpRequest) -> HttpResponse:
    if not metrics_allowed(request):
        response = HttpResponse("Forbidden\n", status=403, content_type="text/plain")
        if settings.METRICS_TOKEN:
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    response = HttpResponse(metrics_text(), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response
