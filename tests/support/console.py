"""A small, realistic installation for the console tests (dashboard, search, journey,
permissions, browser): one partner sending an 834 family, a second 834 file, an 837, a
rejected 837 and a file from an unknown sender; the answers assembled, the members
projected. Names, birth dates and ids are planted so a test can look for them (PHI)."""

from __future__ import annotations

from dataclasses import dataclass, field

from eventstore.inbound.services.ingest import ingest_bytes
from eventstore.ledger.services.projections import project_pending
from outbound.services.assembly import outbound_assemble
from tests.eventstore.inbound.samples import SENDER, onboard_partner, sample
from tests.support.synthetic_834 import build_834, member

# planted PHI: names, birth dates, member ids, a city
PHI_VALUES = (
    "ZZQLASTNAME",
    "ZZQFIRSTNAME",
    "ZZQSPOUSE",
    "ZZQCHILD",
    "19610203",
    "19650708",
    "20110912",
    "PHISUB0042",
    "ZZQCITY",
)


def family_834(*, isa13: int = 501, sender: str = SENDER) -> bytes:
    """A subscriber, a spouse and a child, with health and dental coverage (PHI planted)."""
    coverages = (
        {"line": "HLT", "plan": "GOLD", "begin": "20240101"},
        {"line": "DEN", "plan": "SMILE", "begin": "20240101"},
    )
    people = [
        member(
            "PHISUB0042",
            last="ZZQLASTNAME",
            first="ZZQFIRSTNAME",
            birth="19610203",
            city="ZZQCITY",
            coverages=coverages,
        ),
        member(
            "PHISUB0042",
            relationship="01",
            last="ZZQLASTNAME",
            first="ZZQSPOUSE",
            birth="19650708",
            gender="M",
            city="ZZQCITY",
            coverages=coverages,
        ),
        member(
            "PHISUB0042",
            relationship="19",
            last="ZZQLASTNAME",
            first="ZZQCHILD",
            birth="20110912",
            city="ZZQCITY",
            coverages=coverages,
        ),
    ]
    return build_834(people, isa13=isa13, sender=sender)


def claims_837(*, isa13: str = "000000701") -> bytes:
    return sample("837p_valid.x12", isa13=isa13)


def bad_837(*, isa13: str = "000000702") -> bytes:
    """An 837 whose set the 999 rejects (a date that is not one)."""
    data = claims_837(isa13=isa13)
    marker = b"DTP*472*D8*"
    at = data.find(marker)
    assert at > 0, "the 837 sample has a service date"
    start = at + len(marker)
    return data[:start] + b"20231399" + data[start + 8 :]


@dataclass
class Installation:
    partner: object
    batches: dict[str, int] = field(default_factory=dict)


def installation(*, assemble: bool = True) -> Installation:
    """Ingest the files, project the members and (by default) assemble every answer."""
    partner = onboard_partner(ta1_policy="always")
    found = Installation(partner=partner)
    files = {
        "family": ("family.834", family_834()),
        "more": ("more.834", sample(isa13="000000102")),
        "claims": ("claims.837", claims_837()),
        "bad": ("rejected.837", bad_837()),
        "stranger": ("stranger.834", sample(isa13="000000103", sender="NOBODYKNOWN")),
    }
    for key, (name, data) in files.items():
        found.batches[key] = ingest_bytes(data=data, original_name=name).batch
    project_pending()
    if assemble:
        outbound_assemble(ignore_windows=True)
    return found
