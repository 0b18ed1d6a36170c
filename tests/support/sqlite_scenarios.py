"""Scenarios run in a child process on SQLite (the embedded default ``make run`` uses).

Each scenario drives the real services on a fresh SQLite database and returns plain facts
(JSON); the tests in ``tests/edi_platform/core/test_embedded_paths.py`` assert on them. A
child process is the only honest way: the suite's own connection is PostgreSQL, and every
service uses the default connection.

    python -c "import django; django.setup();
               from tests.support.sqlite_scenarios import main; main('allocation')"
"""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _partner(code: str = "SYNTH", sender: str = "SYNTHSENDER", **extra: Any) -> Any:
    from edi_platform.partners.models import TradingPartner

    return TradingPartner.objects.create(
        code=code,
        name=f"Partner {code}",
        their_isa_qualifier="ZZ",
        their_isa_id=sender,
        our_isa_qualifier="ZZ",
        our_isa_id="EDIPLATFORM",
        their_gs_code=sender,
        our_gs_code="EDIPLATFORM",
        usage_indicator="P",
        **extra,
    )


def allocation() -> dict[str, Any]:
    """Two envelopes on the same counters (their audit rows and counters), a block up to the
    maximum, exhaustion, reset, a partner scope changed behind the cache."""
    from controlnumbers.models import ControlNumberAudit, ControlNumberCounter
    from controlnumbers.services import (
        ControlNumberExhausted,
        ResetRefused,
        allocate_block,
        allocate_envelope,
        counter_reset,
    )

    partner = _partner(code="PARTNERA", sender="PARTNERA")
    # counters that must not be taken for PARTNERA's 999 ones: another partner's of the same
    # kinds, and PARTNERA's ST counter of another transaction type (both made first)
    _partner(code="OTHER", sender="OTHER")
    allocate_envelope(partner_code="OTHER", transaction_type="999", outbound_file_id=uuid.uuid4())
    allocate_block(
        partner_code="PARTNERA",
        transaction_type="271",
        counter_type="ST",
        count=7,
        outbound_file_id=uuid.uuid4(),
    )
    first = allocate_envelope(
        partner_code="PARTNERA", transaction_type="999", outbound_file_id=uuid.uuid4(), st_count=2
    )
    second = allocate_envelope(
        partner_code="PARTNERA",
        transaction_type="999",
        outbound_file_id=uuid.uuid4(),
        st_count=3,
        file_name="second.x12",
        actor="ops",
    )
    audit = [
        [
            row.counter.counter_type,
            row.number,
            row.seq,
            row.status,
            row.actor,
            row.file_name,
            row.retry_count,
        ]
        for row in ControlNumberAudit.objects.filter(
            outbound_file_id__in=[first.outbound_file_id, second.outbound_file_id]
        )
        .select_related("counter")
        .order_by("issued_at", "counter__counter_type", "number")
    ]
    counters = {
        f"{c.counter_type}/{c.transaction_type}": [
            c.current_value,
            c.issued_count,
            c.last_file_name,
            c.last_increment_at is not None,
        ]
        for c in ControlNumberCounter.objects.filter(partner_code="PARTNERA")
    }
    isa = ControlNumberCounter.objects.get(partner_code="PARTNERA", counter_type="ISA")
    # fill exactly up to the maximum, then one more is refused and changes nothing
    isa.max_value = isa.current_value + 3
    isa.save(update_fields=["max_value"])
    block = allocate_block(
        partner_code="PARTNERA",
        transaction_type="999",
        counter_type="ISA",
        count=3,
        outbound_file_id=uuid.uuid4(),
    )
    try:
        allocate_block(
            partner_code="PARTNERA",
            transaction_type="999",
            counter_type="ISA",
            count=1,
            outbound_file_id=uuid.uuid4(),
        )
        exhausted = ""
    except ControlNumberExhausted as refused:
        exhausted = str(refused)
    isa.refresh_from_db()
    current = isa.current_value
    try:
        counter_reset(counter_id=isa.pk, new_value=current - 1, reason="test", acting_user=None)
        refused = False
    except ResetRefused:
        refused = True
    counter_reset(counter_id=isa.pk, new_value=current, reason="same value", acting_user=None)
    # the partner's scope changed behind this process's cache (an update that sends no
    # signal): the next allocation finds the scope stale, reads the partner again and takes
    # its ISA13 and GS06 from per-transaction counters (new ones, so 1) and its ST02 from
    # the same ST counter as before
    type(partner).objects.filter(pk=partner.pk).update(control_number_scope="transaction")
    rescoped = allocate_envelope(
        partner_code="PARTNERA", transaction_type="999", outbound_file_id=uuid.uuid4()
    )
    gaps = _gaps()
    return {
        "gaps": gaps,
        "first": [first.isa13, first.gs06, list(first.st02s)],
        "second": [second.isa13, second.gs06, list(second.st02s)],
        "audit": audit,
        "counters": counters,
        "rescoped": [rescoped.isa13, rescoped.gs06, list(rescoped.st02s)],
        "block": block,
        "exhausted": exhausted,
        "current": current,
        "max": isa.max_value,
        "reset_below_refused": refused,
        "audit_numbers": sorted(
            ControlNumberAudit.objects.filter(counter=isa, status="ISSUED").values_list(
                "number", flat=True
            )
        ),
    }


def _gaps() -> list[list[Any]]:
    """A documented gap (a failed file) and an unexplained one (numbers taken without an
    audit row) of another partner, as the gap report on SQLite sees them."""
    from controlnumbers.models import ControlNumberAudit, ControlNumberCounter
    from controlnumbers.selectors import gap_report
    from controlnumbers.services import allocate_envelope, numbers_mark_failed

    _partner(code="GAPS", sender="GAPS")

    def envelope() -> Any:
        return allocate_envelope(
            partner_code="GAPS", transaction_type="270", outbound_file_id=uuid.uuid4()
        )

    envelope()
    failed = envelope()
    numbers_mark_failed(outbound_file_id=failed.outbound_file_id, reason="disk full")
    ControlNumberCounter.objects.filter(partner_code="GAPS", counter_type="ISA").update(
        current_value=4
    )
    after = envelope()  # ISA13 5: 3-4 never issued
    seen = ControlNumberAudit.objects.get(
        outbound_file_id=after.outbound_file_id, counter__counter_type="ISA"
    ).issued_at
    return [
        [
            g.counter_type,
            g.first_number,
            g.last_number,
            g.kind,
            g.severity,
            g.seen_at.tzinfo is not None,
            g.seen_at == seen if g.kind == "unexplained" else None,
        ]
        for g in gap_report(partner_code="GAPS", days=1).gaps
    ]


def inbound() -> dict[str, Any]:
    """Ingest an 834 (events, projection), the same bytes again, the same ISA13 with other
    bytes (duplicate), an 837P, a second 837P whose set is routed again from committed rows;
    assemble every answer; reverse the 834 batch."""
    from eventstore.inbound.services.ingest import ingest_bytes
    from eventstore.inbound.services.routing import batch_route_pending
    from eventstore.ledger.services.reversal import batch_reverse
    from eventstore.models import DomainEvent, Member, TransactionBatch, TransactionHeader
    from outbound.models import OutboundFile, ProcessingOutcome
    from outbound.services.assembly import assembly_threads, outbound_assemble

    _partner(ta1_policy="always")
    enrollment = (FIXTURES / "inbound" / "834_valid.x12").read_bytes()
    claims = (FIXTURES / "inbound" / "837p_valid.x12").read_bytes()
    first = ingest_bytes(data=enrollment, original_name="a.834")
    again = ingest_bytes(data=enrollment, original_name="again.834")
    duplicate = ingest_bytes(data=enrollment.replace(b"TESTLAST", b"OTHERLAST"), original_name="d")
    claim = ingest_bytes(data=claims.replace(b"000000201", b"000000909"), original_name="c.837")
    # a second 837 whose set is left PENDING (as a crash before its routing leaves it), then
    # routed from committed rows, as Reprocess and recovery do (the bulk handler's plain read
    # of the header rows, on SQLite)
    rerouted = ingest_bytes(data=claims.replace(b"000000201", b"000000910"), original_name="e.837")
    TransactionHeader.objects.filter(batch_id=rerouted.batch).update(
        routing_status="PENDING", routing_result=""
    )
    routed_again = batch_route_pending(batch=TransactionBatch.objects.get(pk=rerouted.batch))
    members_before = Member.objects.count()
    assembled = outbound_assemble(ignore_windows=True)
    reversal = batch_reverse(batch_id=first.batch, reason="sent in error", acting_user=None)
    return {
        "statuses": [first.status, again.already_received, duplicate.status, claim.status],
        "rerouted": [
            routed_again,
            sorted(
                TransactionHeader.objects.filter(batch_id=rerouted.batch).values_list(
                    "routing_status", "routing_result"
                )
            ),
        ],
        "events": DomainEvent.objects.filter(batch_id=first.batch).count(),
        "members_before": members_before,
        "members_after_reversal": Member.objects.count(),
        "reversed": reversal.events_reversed,
        "outcomes": sorted(ProcessingOutcome.objects.values_list("response_type", "status")),
        "files": sorted(OutboundFile.objects.values_list("transaction_type", "status")),
        # assembled outcomes without the moment their file was persisted
        "unstamped": ProcessingOutcome.objects.filter(assembled_at__isnull=True).count(),
        "assembly_threads": assembly_threads(),
        "persisted": assembled.persisted,
        "batches": TransactionBatch.objects.count(),
    }


def recovery() -> dict[str, Any]:
    """A worker killed mid-ingest (a real SIGKILL) leaves a RECEIVED batch; recovery finishes
    it once its lease has run out (the heartbeat and the lease on SQLite)."""
    import os
    import subprocess
    from datetime import timedelta

    from django.utils import timezone

    from eventstore.inbound.services.recovery import batches_recover
    from eventstore.models import TransactionBatch
    from outbound.models import ProcessingOutcome

    _partner()
    path = FIXTURES / "inbound" / "834_valid.x12"
    killed = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).resolve().parents[2] / "manage.py"),
            "ingest",
            str(path),
        ],
        env={**os.environ, "INBOUND_CRASH_AT": "after_plan"},
        capture_output=True,
        timeout=120,
    )
    batch = TransactionBatch.objects.get()
    left = [killed.returncode, batch.status, batch.lease_expires_at is not None]
    early = batches_recover().finished  # the lease still runs: hands off
    result = batches_recover(now=timezone.now() + timedelta(minutes=5))
    batch.refresh_from_db()
    return {
        "left": left,
        "early": early,
        "finished": result.finished,
        "batch": batch.pk,
        "status": batch.status,
        "outcomes": ProcessingOutcome.objects.filter(batch=batch).count(),
        "lease": batch.lease_expires_at is not None,
    }


SCENARIOS = {"allocation": allocation, "inbound": inbound, "recovery": recovery}


def main(name: str) -> None:
    from django.core.management import call_command

    call_command("migrate", "--noinput", verbosity=0)
    facts = SCENARIOS[name]()
    sys.stdout.write("FACTS " + json.dumps(facts, default=str) + "\n")
