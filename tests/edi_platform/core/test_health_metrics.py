"""/healthz (JSON, 200/503: database, Redis when configured, storage writable, scheduler and
worker heartbeats) and /metrics (Prometheus text; token or network; no PHI, bounded
labels), against the real database, storage and Redis."""

from __future__ import annotations

import re
import socket
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from prometheus_client.parser import text_string_to_metric_families

from edi_platform.core.models import SchedulerHeartbeat
from edi_platform.core.services import heartbeat_record, schedules_setup
from edi_platform.partners.models import TradingPartner
from edi_platform.x12.codes import FUNCTIONAL_GROUPS
from eventstore.inbound.models import BatchStatus
from outbound.responders import response_types
from outbound.services.outbox import outbox_publish
from tests.eventstore.inbound.samples import inbound_storage as inbound_storage_dir  # noqa: F401
from tests.support.console import PHI_VALUES, installation

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("inbound_storage_dir")]


def healthy() -> None:
    schedules_setup()
    PeriodicTask.objects.update(last_run_at=timezone.now())
    heartbeat_record(hostname="w1")


def healthz(query: str = ""):
    response = Client().get(f"/healthz{query}")
    return response.status_code, response.json()


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_healthz_is_200_when_everything_answers(settings, redis_url):
    settings.OUTBOUND_REDIS_URL = redis_url
    healthy()
    status, body = healthz()
    assert status == 200 and body["status"] == "ok"
    assert set(body["checks"]) == {
        "database",
        "redis",
        "storage.inbound",
        "storage.outbound",
        "scheduler",
        "worker",
    }
    assert body["checks"]["redis"]["configured"] is True


def test_healthz_is_503_naming_a_redis_that_does_not_answer(settings):
    settings.OUTBOUND_REDIS_URL = f"redis://127.0.0.1:{closed_port()}/0"
    healthy()
    status, body = healthz()
    assert status == 503 and body["status"] == "fail"
    assert body["checks"]["redis"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True


def test_healthz_is_503_when_storage_is_not_writable(settings, tmp_path):
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the storage root should be")
    settings.STORAGES = {
        **settings.STORAGES,
        "outbound": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(blocked)},
        },
    }
    healthy()
    status, body = healthz()
    assert status == 503 and body["checks"]["storage.outbound"]["ok"] is False
    assert body["checks"]["storage.inbound"]["ok"] is True


def test_healthz_is_503_when_the_heartbeats_are_stale_and_names_the_late_tasks():
    healthy()
    old = timezone.now() - timedelta(hours=2)
    PeriodicTask.objects.update(last_run_at=old)
    SchedulerHeartbeat.objects.update(last_beat_at=old)
    status, body = healthz()
    assert status == 503
    assert body["checks"]["scheduler"]["ok"] is False and body["checks"]["worker"]["ok"] is False
    assert "outbound: assemble due outcomes" in body["checks"]["scheduler"]["late_tasks"]
    # a web node's probe can leave the schedules out
    status, body = healthz("?check=database,storage")
    assert status == 200 and set(body["checks"]) == {
        "database",
        "storage.inbound",
        "storage.outbound",
    }


def metrics(client: Client | None = None, **headers) -> str:
    response = (client or Client()).get("/metrics", **headers)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/plain")
    return response.content.decode()


def test_metrics_are_refused_outside_the_allowed_networks_without_the_token(settings):
    settings.METRICS_TOKEN = "s3cret-token"
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    assert Client().get("/metrics").status_code == 403  # the test client is 127.0.0.1
    wrong = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer nope")
    assert wrong.status_code == 403 and wrong["WWW-Authenticate"].startswith("Bearer")
    assert "edi_" in metrics(HTTP_AUTHORIZATION="Bearer s3cret-token")
    settings.METRICS_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    assert "edi_" in metrics()


def test_metrics_count_the_work_and_read_the_state(
    settings, redis_url, django_capture_on_commit_callbacks
):
    settings.OUTBOUND_REDIS_URL = redis_url
    with django_capture_on_commit_callbacks(execute=True):  # files count once committed
        installation()
    outbox_publish()
    healthy()
    families = {f.name: f for f in text_string_to_metric_families(metrics())}
    for name in (
        "edi_inbound_files",
        "edi_inbound_processing_seconds",
        "edi_allocation_seconds",
        "edi_allocation_retries",
        "edi_assembly_files",
        "edi_assembly_seconds",
        "edi_sla_breaches",
        "edi_outcomes_owed",
        "edi_projection_lag_events",
        "edi_outbox_depth",
        "edi_dead_letters",
        "edi_quarantined_files",
        "edi_inbound_batches",
        "edi_control_number_alerts_open",
        "edi_scheduler_heartbeat_age_seconds",
        "edi_worker_heartbeat_age_seconds",
    ):
        assert name in families, name
    ingested = {
        (s.labels["partner"], s.labels["type"], s.labels["verdict"])
        for s in families["edi_inbound_files"].samples
        if s.name == "edi_inbound_files_total" and s.value > 0
    }
    assert ("SYNTH", "834", "ACCEPTED") in ingested and ("SYNTH", "837", "REJECTED") in ingested
    owed = {s.labels["type"]: s.value for s in families["edi_outcomes_owed"].samples}
    assert owed["999"] == 0 and set(owed) == set(response_types())


def _samples(text: str) -> dict[tuple, float]:
    return {
        (family.name, sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        if family.name.startswith("edi_")
        for sample in family.samples
    }


def test_metrics_carry_no_phi_and_only_bounded_label_values(
    settings, django_capture_on_commit_callbacks
):
    # the counters live in the process: labels left by earlier tests (their partners rolled
    # back with their transactions) are not this test's to judge, only the samples it moves
    before = _samples(metrics())
    with django_capture_on_commit_callbacks(execute=True):  # files count once committed
        installation()
    text = metrics()
    for value in PHI_VALUES:
        assert value not in text
    partners = set(TradingPartner.objects.values_list("code", flat=True)) | {"_unknown"}
    allowed = {
        "partner": partners,
        "type": set(response_types())
        | {min(s) for s in FUNCTIONAL_GROUPS.values()}
        | {"999", "other", ""},
        "verdict": set(BatchStatus.values),
        "result": {"persisted", "quarantined", "failed"},
        "status": set(BatchStatus.values),
        "projection": {"members", "members:rebuild"},
        "kind": {"gap", "utilization"},
        "severity": {"MINOR", "MODERATE", "WARNING", "CRITICAL"},
        "level": {"WARNING", "CRITICAL"},
    }
    now = _samples(text)
    added = {
        (name, label, value)
        for key, count in now.items()
        if before.get(key) != count
        for name, _, labels in [key]
        for label, value in labels
    }
    assert any(label == "partner" for _, label, _ in added)  # the check below has work to do
    for name, label, value in added:
        if label in ("le", "source"):
            continue
        assert label in allowed, (name, label)
        assert value in allowed[label], (name, label, value)
    assert not re.search(r"batch_id|file_id|aggregate", text)
