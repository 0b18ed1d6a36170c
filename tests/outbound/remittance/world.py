"""The remittance test world: the claims world (a sponsor whose 834 makes the member, a
provider whose 837 claims we accept) plus helpers to import adjudication results and read
back the 835s we assembled. Everything is real: ingest, registry, import, assembly with
the X221A1 guide and SNIP 3 balancing, storage.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from edi_platform import x12
from edi_platform.x12.segments import Segment
from outbound.models import Claim, OutboundFile, ProcessingOutcome
from outbound.remittance.services import ImportResult, remittance_import
from outbound.services.assembly import outbound_assemble
from outbound.services.storage import outbound_storage
from tests.outbound.claims.world import World, storages
from tests.support.synthetic_834 import member
from tests.support.synthetic_837 import Claim as C
from tests.support.synthetic_837 import Provider
from tests.support.synthetic_remittance import encode


class RemitWorld(World):
    def accepted(self, *pcns: str, **claim: Any) -> list[Claim]:
        """Enrol SUB0001 and send one 837P with one claim per ``pcn``; all accepted."""
        if not getattr(self, "_enrolled", False):
            self.enrol(member("SUB0001"))
            self._enrolled = True
        result = self.send("P", [Provider(claims=[C(pcn=p, **claim) for p in pcns])])
        assert result.status == "ACCEPTED", result.reason
        claims = self.claims(result)
        assert all(c.status == "ACCEPTED" for c in claims), [c.reason for c in claims]
        return claims

    def remit(self, doc: dict[str, Any], name: str = "results.json") -> ImportResult:
        return remittance_import(data=encode(doc), name=name, acting_user=None)

    def remits(self, outcome_ids: list[int]) -> tuple[list[OutboundFile], list[list[Segment]]]:
        """Assemble the 835s (windows ignored); the files and each outcome's 835 set."""
        outbound_assemble(ignore_windows=True, response_type="835")
        outcomes = ProcessingOutcome.objects.filter(pk__in=outcome_ids)
        files = {o.outbound_file for o in outcomes}
        assert files and None not in files, [o.failure_reason for o in outcomes]
        by_outcome: dict[int, list[Segment]] = {}
        for file in files:
            assert file.status == "PERSISTED", file.status_reason
            with outbound_storage().open(file.storage_path, "rb") as handle:
                data = handle.read()
            assert x12.validate_outbound(data, snip_level=3) == []
            sets = [t for ic in x12.read(data) for g in ic.groups for t in g.transaction_sets]
            for outcome_id, tset in zip(file.outcome_ids, sets, strict=True):
                by_outcome[outcome_id] = tset.segments
        return sorted(files, key=lambda f: f.isa13), [by_outcome[i] for i in outcome_ids]


@pytest.fixture
def world(tmp_path) -> RemitWorld:
    with override_settings(STORAGES=storages(tmp_path)):
        yield RemitWorld()


def segs(segments: list[Segment], sid: str, first: str | None = None) -> list[Segment]:
    return [s for s in segments if s.id == sid and (first is None or s.get(1) == first)]
