"""Logs as JSON lines with correlation ids, switchable to text; and no PHI in any of them:
the whole loop (ingest of 834s, a 270 and an 837, projection, assembly of TA1/999/271,
publishing to a real Redis, a reversal) runs at DEBUG on files full of names and birth
dates, and every line written is scanned."""

from __future__ import annotations

import json
import logging

import pytest
from django.test import Client

from edi_platform.core.logs import JsonFormatter, RedactQueryFilter, TextFormatter, log_context
from eventstore.inbound.services.ingest import ingest_bytes
from eventstore.ledger.services.projections import project_pending
from eventstore.ledger.services.reversal import batch_reverse
from outbound.services.assembly import outbound_assemble
from outbound.services.outbox import outbox_publish
from tests.eventstore.inbound.samples import inbound_storage as inbound_storage_dir  # noqa: F401
from tests.eventstore.inbound.samples import onboard_partner
from tests.outbound.eligibility.world import World
from tests.support.console import PHI_VALUES, bad_837, claims_837, family_834
from tests.support.synthetic_270 import dependent, subscriber
from tests.support.synthetic_834 import member

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("inbound_storage_dir")]


def record(message: str, *args, level=logging.INFO, name="edi.test", exc=None, **extra):
    rec = logging.LogRecord(name, level, __file__, 1, message, args, exc)
    rec.__dict__.update(extra)
    return rec


def test_a_json_line_carries_the_correlation_ids_of_its_context():
    with log_context(batch_id=12), log_context(file_id="f-1", outcome_ids=[1, 2]):
        line = JsonFormatter().format(record("inbound batch %s: %s", 12, "ACCEPTED"))
    entry = json.loads(line)
    assert entry["message"] == "inbound batch 12: ACCEPTED"
    assert entry["batch_id"] == 12 and entry["file_id"] == "f-1" and entry["outcome_ids"] == [1, 2]
    assert {"ts", "level", "logger", "process"} <= set(entry)
    assert "\n" not in line
    outside = json.loads(JsonFormatter().format(record("x")))
    assert "batch_id" not in outside  # the context ended with its block


def test_an_exception_is_its_class_and_frames_never_its_text():
    try:
        int("ZZQLASTNAME 19610203")
    except ValueError as exc:
        info = (type(exc), exc, exc.__traceback__)
    entry = json.loads(JsonFormatter().format(record("failed", exc=info)))
    assert entry["exception"].startswith("ValueError at test_logs.py:")
    assert "ZZQLASTNAME" not in json.dumps(entry)
    text = TextFormatter().format(record("failed", exc=info))
    assert "ValueError at" in text and "ZZQLASTNAME" not in text


def test_request_lines_lose_their_query_strings():
    rec = record('"GET /admin/search/?q=ZZQLASTNAME HTTP/1.1" 200 10', name="django.server")
    RedactQueryFilter().filter(rec)
    assert "ZZQLASTNAME" not in rec.getMessage() and "/admin/search/?…" in rec.getMessage()


def test_only_correlation_keys_may_enter_the_context():
    with pytest.raises(ValueError), log_context(last_name="DOE"):
        pass


def test_a_request_gets_a_request_id(admin_client_logged_in):
    response = admin_client_logged_in.get("/admin/")
    assert len(response["X-Request-ID"]) == 16
    response = Client().get("/healthz", HTTP_X_REQUEST_ID="lb-probe-000001")
    assert response["X-Request-ID"] == "lb-probe-000001"


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def every_line():
    root = logging.getLogger()
    handler = Collect()
    saved = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler.lines
    finally:
        root.removeHandler(handler)
        root.setLevel(saved)


def test_the_whole_loop_logs_ids_and_never_phi(
    every_line, settings, redis_url, django_capture_on_commit_callbacks
):
    settings.OUTBOUND_REDIS_URL = redis_url
    with django_capture_on_commit_callbacks(execute=True):  # what runs after each commit
        _whole_loop()
    assert len(every_line) > 30
    entries = [json.loads(line) for line in every_line]  # every line is one JSON object
    leaks = [
        (e["logger"], value)
        for e, line in zip(entries, every_line, strict=True)
        for value in PHI_VALUES
        if value in line
    ]
    assert leaks == []
    # the correlation ids follow the work
    assert any("batch_id" in e for e in entries if e["logger"].startswith("eventstore"))
    assert any("file_id" in e and "partner" in e and "outcome_ids" in e for e in entries)


def _whole_loop() -> None:
    onboard_partner(ta1_policy="always")
    world = World()
    family = world.enrol(
        member(
            "PHISUB0042",
            last="ZZQLASTNAME",
            first="ZZQFIRSTNAME",
            birth="19610203",
            city="ZZQCITY",
        )
    )
    ingest_bytes(data=family_834(), original_name="family.834")
    ingest_bytes(data=claims_837(), original_name="claims.837")
    ingest_bytes(data=bad_837(), original_name="bad.837")
    project_pending()
    world.ask(
        subscriber(
            "PHISUB0042",
            last="ZZQLASTNAME",
            first="ZZQFIRSTNAME",
            birth="19610203",
            dependents=[dependent(first="ZZQCHILD", birth="20110912")],
        )
    )
    outbound_assemble(ignore_windows=True)
    assert outbox_publish().sent > 0
    batch_reverse(batch_id=family.batch, reason="loaded twice", acting_user=None)
    project_pending()
