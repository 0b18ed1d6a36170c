"""A small world for eligibility tests: a plan sponsor that sends 834s, a provider that sends
270s, and helpers to enrol people, ask about them and read the 271 we sent.

Import the fixture into a test module: ``from tests.outbound.eligibility.world import world``.
Everything is real: ingest service, event store, projector, outbound assembly, storage.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import override_settings

from edi_platform import x12
from edi_platform.x12.segments import Segment
from eventstore.inbound.services.ingest import ingest_bytes
from eventstore.ledger.services.projections import project_pending
from eventstore.models import TransactionHeader
from outbound.models import EligibilityInquiry, OutboundFile, ProcessingOutcome
from outbound.services.assembly import outbound_assemble
from outbound.services.storage import outbound_storage
from tests.factories import TradingPartnerFactory
from tests.support.synthetic_270 import build_270
from tests.support.synthetic_834 import build_834

SPONSOR_SENDER = "SENDER"
PROVIDER_SENDER = "PROVIDER01"


def d8(day: dt.date) -> str:
    return day.strftime("%Y%m%d")


def days(n: int) -> str:
    """Today + n days as CCYYMMDD."""
    return d8(dt.date.today() + dt.timedelta(days=n))


@dataclass
class Answer:
    """The 271 we sent for one 270 batch, read back from the outbound storage."""

    file: OutboundFile
    data: bytes
    segments: list[Segment]

    def all(self, sid: str, first: str | None = None) -> list[Segment]:
        return [s for s in self.segments if s.id == sid and (first is None or s.get(1) == first)]

    def aaa(self) -> list[tuple[str, str, str]]:
        """(AAA01, AAA03, AAA04) of every AAA."""
        return [(s.get(1), s.get(3), s.get(4)) for s in self.all("AAA")]

    def ebs(self) -> list[tuple[str, ...]]:
        """(EB01, EB02, EB03, EB04, EB05) of every EB."""
        return [tuple(s.get(i) for i in range(1, 6)) for s in self.all("EB")]

    def text(self) -> str:
        return self.data.decode("latin-1")


class World:
    def __init__(self) -> None:
        self.sponsor = TradingPartnerFactory(
            code="SPONSOR",
            their_isa_id=SPONSOR_SENDER,
            their_gs_code=SPONSOR_SENDER,
            our_isa_id="EDIPLATFORM",
        )
        self.provider = TradingPartnerFactory(
            code="PROV01",
            their_isa_id=PROVIDER_SENDER,
            their_gs_code=PROVIDER_SENDER,
            our_isa_id="EDIPLATFORM",
        )
        self._isa13 = 100

    def _next(self) -> int:
        self._isa13 += 1
        return self._isa13

    def enrol(self, *members: dict[str, Any], action: str = "2", project: bool = True) -> Any:
        """Ingest an 834 of ``members`` from the sponsor and (unless told not to) project it."""
        result = ingest_bytes(
            data=build_834(members, isa13=self._next(), sender=SPONSOR_SENDER, action=action),
            original_name="enrol.834",
        )
        assert result.status == "ACCEPTED", result.reason
        if project:
            project_pending()
        return result

    def ask(self, *subscribers: dict[str, Any], **kwargs: Any) -> Any:
        """Ingest a 270 from the provider (one set of ``subscribers``, or ``sets=``)."""
        data = build_270(
            list(subscribers) or None, isa13=self._next(), sender=PROVIDER_SENDER, **kwargs
        )
        return ingest_bytes(data=data, original_name="inquiry.270")

    def answer(self, result: Any) -> Answer:
        """Assemble what is owed (windows ignored) and read back this batch's 271."""
        outbound_assemble(ignore_windows=True, response_type="271")
        outcomes = ProcessingOutcome.objects.filter(batch_id=result.batch, response_type="271")
        files = {o.outbound_file for o in outcomes}
        assert len(files) == 1 and None not in files, [o.failure_reason for o in outcomes]
        file = files.pop()
        storage = outbound_storage()
        with storage.open(file.storage_path, "rb") as handle:
            data = handle.read()
        segments = [
            seg
            for ic in x12.read(data)
            for group in ic.groups
            for tset in group.transaction_sets
            for seg in tset.segments
        ]
        return Answer(file=file, data=data, segments=segments)

    def ask_and_answer(self, *subscribers: dict[str, Any], **kwargs: Any) -> Answer:
        result = self.ask(*subscribers, **kwargs)
        header = TransactionHeader.objects.get(batch_id=result.batch, st01="270")
        assert header.routing_status == "ROUTED", header.routing_result
        return self.answer(result)

    def inquiries(self, result: Any) -> list[EligibilityInquiry]:
        return list(EligibilityInquiry.objects.filter(batch_id=result.batch).order_by("position"))


@pytest.fixture
def world(tmp_path) -> World:
    """Partners and temporary inbound/outbound storages."""
    storages = {
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
    with override_settings(STORAGES=storages):
        yield World()
