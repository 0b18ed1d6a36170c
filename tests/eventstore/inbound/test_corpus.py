"""Every public corpus file (../shared/corpus/x12/**, when present) ingests without a traceback
and gets exactly the outcomes the x12 engine's verdict implies.

Corpus senders are not our partners, so each test first onboards a partner for every
ISA05/ISA06 in the file (and ISA07/ISA08 as our ID towards it, TA1 policy "on request"), then
ingests the file once. Expected outcomes are derived from a separate run of the engine:
a TA1 for each interchange it rejects or that asks for one (ISA14 = 1), and one 999 per
functional group (not for 999/997 groups) of each interchange it does not reject.
When the corpus folder is absent the test is not defined (nothing is collected, nothing skipped).
"""

from __future__ import annotations

from collections import Counter

import pytest

from edi_platform import x12
from eventstore.inbound.services.ingest import ingest_path
from eventstore.inbound.storage import inbound_storage
from eventstore.models import BatchStatus, TransactionBatch
from outbound.models import ProcessingOutcome
from tests.conftest import CORPUS_DIR as _CORPUS_DIR
from tests.conftest import REPO_ROOT
from tests.eventstore.inbound.samples import inbound_storage as inbound_storage_dir  # noqa: F401
from tests.factories import TradingPartnerFactory

# ../shared/corpus next to the repository; a git worktree under ../wt/<name> looks one level up.
CORPUS_DIR = next(
    (
        d
        for d in (_CORPUS_DIR, REPO_ROOT.parent.parent / "shared" / "corpus")
        if (d / "x12").is_dir()
    ),
    _CORPUS_DIR,
)
CORPUS_FILES = (
    sorted(p for p in (CORPUS_DIR / "x12").rglob("*") if p.is_file())
    if (CORPUS_DIR / "x12").is_dir()
    else []
)


def _onboard_senders(report: x12.ValidationReport) -> None:
    for n, ic in enumerate(report.interchanges):
        h = ic.header
        if not ic.sender_identified:
            continue
        TradingPartnerFactory(
            code=f"CORPUS{n}",
            their_isa_qualifier=h.sender_qualifier[:2],
            their_isa_id=h.sender_id[:15],
            our_isa_qualifier=h.receiver_qualifier[:2] or "ZZ",
            our_isa_id=h.receiver_id[:15] or "EDIPLATFORM",
            ta1_policy="on_request",
        )


def _expected(report: x12.ValidationReport) -> Counter:
    expected: Counter = Counter()
    for ic in report.interchanges:
        if not ic.sender_identified:
            continue
        if ic.ta1_code != "A" or x12.ta1_wanted(ic, "on_request"):
            expected[("TA1", ic.header.control_number[:9], ic.ta1_code, ic.ta1_note)] += 1
        if ic.ta1_code == "R":
            continue
        for group in ic.groups:
            if not group.is_acknowledgment:
                expected[("999", group.header.control_number[:9], group.ack_code)] += 1
    return expected


if CORPUS_FILES:

    @pytest.mark.django_db
    @pytest.mark.usefixtures("inbound_storage_dir")
    @pytest.mark.parametrize(
        "path", CORPUS_FILES, ids=[str(p.relative_to(CORPUS_DIR / "x12")) for p in CORPUS_FILES]
    )
    def test_corpus_file_gets_the_outcomes_the_engine_verdict_implies(path):
        first_pass = x12.validate(path)
        _onboard_senders(first_pass)
        partners = {
            (p.our_isa_qualifier, p.our_isa_id)
            for p in TradingPartnerFactory._meta.model.objects.all()
        }
        verdict = x12.validate(
            path, is_known_receiver=lambda q, i: (q.strip(), i.strip()) in partners
        )

        result = ingest_path(path=path, channel="command")

        batch = TransactionBatch.objects.get(pk=result.batch)
        assert batch.status != BatchStatus.RECEIVED, batch.status_reason
        assert inbound_storage().exists(batch.storage_path)
        got: Counter = Counter()
        # acknowledgments here; a business response (the 271 of a 270) is owed per routed set
        for o in ProcessingOutcome.objects.filter(batch=batch, response_type__in=("TA1", "999")):
            if o.response_type == "TA1":
                got[("TA1", o.isa13, o.payload["ack_code"], o.payload["note_code"])] += 1
            else:
                got[("999", o.gs06, o.payload["ak9"][0])] += 1
        assert got == _expected(verdict)
        answered = batch.headers.filter(st01="270", routing_status="ROUTED").count()
        assert (
            ProcessingOutcome.objects.filter(batch=batch, response_type="271").count() == answered
        )
        if verdict.verdict == "accepted":
            assert batch.status == BatchStatus.ACCEPTED
        elif verdict.verdict == "not_x12":
            assert batch.status == BatchStatus.REJECTED and batch.status_reason
        elif verdict.verdict == "rejected":
            assert batch.status in (BatchStatus.REJECTED, BatchStatus.PARTIALLY_ACCEPTED)
            assert batch.status_reason
