"""A small world for claims tests: a plan sponsor whose 834s make the members, a provider
(clearinghouse) that sends 837s, and helpers to send claims and read the 277CA we sent.

Import the fixture into a test module: ``from tests.outbound.claims.world import world``.
Everything is real: ingest service, event store, projector, claim registry, outbound
assembly (with the X214 guide validation), storage.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import override_settings

from edi_platform import x12
from edi_platform.partners.models import SnipLevel
from edi_platform.x12.segments import Segment
from eventstore.inbound.services.ingest import ingest_bytes
from eventstore.ledger.services.projections import project_pending
from outbound.models import Claim, OutboundFile, ProcessingOutcome
from outbound.services.assembly import outbound_assemble
from outbound.services.storage import outbound_storage
from tests.factories import TradingPartnerFactory
from tests.support.synthetic_834 import build_834, member
from tests.support.synthetic_837 import Provider, build_837

SPONSOR_SENDER = "SENDER"
PROVIDER_SENDER = "PROVIDER01"


def d8(day: dt.date) -> str:
    return day.strftime("%Y%m%d")


@dataclass
class Ack:
    """The 277CA set(s) we sent for one 837 batch, read back from the outbound storage."""

    files: list[OutboundFile]
    segments: list[Segment]

    def all(self, sid: str, first: str | None = None) -> list[Segment]:
        return [s for s in self.segments if s.id == sid and (first is None or s.get(1) == first)]

    def claims(self) -> dict[str, list[Segment]]:
        """The 2000D segments of each claim, by patient control number (TRN*2 after HL PT)."""
        out: dict[str, list[Segment]] = {}
        current: list[Segment] | None = None
        for seg in self.segments:
            if seg.id == "HL":
                current = [] if seg.get(3) == "PT" else None
                if current is not None:
                    out.setdefault(f"#{len(out)}", current)
                continue
            if current is not None:
                current.append(seg)
        return {next(s.get(2) for s in segs if s.id == "TRN"): segs for segs in out.values()}

    def stc(self, pcn: str) -> list[str]:
        """The claim-level STC01 composites of one claim (``A7:33``...; 2200D, not 2220D)."""
        out = []
        for seg in self.claims()[pcn]:
            if seg.id == "SVC":
                break
            if seg.id == "STC":
                out.append(seg.get(1))
        return out


class World:
    def __init__(self) -> None:
        self.sponsor = TradingPartnerFactory(
            code="SPONSOR",
            their_isa_id=SPONSOR_SENDER,
            their_gs_code=SPONSOR_SENDER,
            our_isa_id="EDIPLATFORM",
        )
        # The 999 checks syntax and the guide only (SNIP 2), as a payer that answers the
        # claim-level edits (balancing, REF*F8...) in the 277CA configures it: these tests
        # exercise those edits. At SNIP 3-4 the 999 rejects such a set first
        # (test_edits.test_at_snip_4_an_unbalanced_claim_is_rejected_by_the_999).
        self.provider = TradingPartnerFactory(
            code="PROV01",
            their_isa_id=PROVIDER_SENDER,
            their_gs_code=PROVIDER_SENDER,
            our_isa_id="EDIPLATFORM",
            snip_level=SnipLevel.SYNTAX_AND_GUIDE,
        )
        self._isa13 = 100

    def next_isa13(self) -> int:
        self._isa13 += 1
        return self._isa13

    def enrol(self, *members: dict[str, Any]) -> None:
        """Ingest an 834 of ``members`` (default: subscriber SUB0001 JANE DOE) and project."""
        people = list(members) or [member("SUB0001")]
        result = ingest_bytes(
            data=build_834(people, isa13=self.next_isa13(), sender=SPONSOR_SENDER),
            original_name="enrol.834",
        )
        assert result.status == "ACCEPTED", result.reason
        project_pending()

    def send(self, kind: str, *sets: list[Provider], **kwargs: Any) -> Any:
        """Ingest an 837 of ``kind`` from the provider (default: one set, one claim)."""
        data = build_837(
            kind,
            list(sets) or [[Provider()]],
            isa13=self.next_isa13(),
            sender=PROVIDER_SENDER,
            **kwargs,
        )
        return ingest_bytes(data=data, original_name=f"claims.837{kind.lower()}")

    def ack_of(self, claim: Claim) -> Ack:
        return self.ack(claim.batch_id)

    def ack(self, result: Any) -> Ack:
        """Assemble what is owed (windows ignored) and read back this batch's 277CA sets
        (``result``: an ingest result or a batch id)."""
        batch_id = result if isinstance(result, int) else result.batch
        outbound_assemble(ignore_windows=True, response_type="277CA")
        outcomes = ProcessingOutcome.objects.filter(batch_id=batch_id, response_type="277CA")
        files = {o.outbound_file for o in outcomes}
        assert files and None not in files, [o.failure_reason for o in outcomes]
        storage = outbound_storage()
        wanted = {o.pk for o in outcomes}
        segments: list[Segment] = []
        for file in sorted(files, key=lambda f: f.isa13):
            assert file.status == "PERSISTED", file.status_reason
            with storage.open(file.storage_path, "rb") as handle:
                data = handle.read()
            sets = [
                tset
                for ic in x12.read(data)
                for group in ic.groups
                for tset in group.transaction_sets
            ]
            for outcome_id, tset in zip(file.outcome_ids, sets, strict=True):
                if outcome_id in wanted:
                    segments += tset.segments
        return Ack(files=sorted(files, key=lambda f: f.isa13), segments=segments)

    def claims(self, result: Any) -> list[Claim]:
        return list(Claim.objects.filter(batch_id=result.batch).order_by("header_id", "position"))


def storages(tmp_path) -> dict[str, Any]:
    return {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        "inbound": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "inbound")},
        },
        "outbound": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "outbound")},
        },
    }


@pytest.fixture
def world(tmp_path) -> World:
    """Partners and temporary inbound/outbound storages."""
    with override_settings(STORAGES=storages(tmp_path)):
        yield World()


@pytest.fixture
def claims_world(tmp_path) -> World:
    """The same world, for modules where ``world`` names another one (the responders')."""
    with override_settings(STORAGES=storages(tmp_path)):
        yield World()
