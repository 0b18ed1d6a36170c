"""Synthetic 834 files (fake people only) for tests, the benchmark and demos.

``build_834`` writes one interchange with one 834 set from member dicts; ``register_834``
records it as a TransactionBatch + TransactionHeader (what inbound ingest would have done) so
the 834 handler can be called directly.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Iterator
from typing import Any

from edi_platform.x12.segments import Segment

_LAST = ("SMITH", "JONES", "BROWN", "GARCIA", "MILLER", "DAVIS", "LOPEZ", "WILSON", "TAYLOR")
_FIRST = ("ALEX", "SAM", "JORDAN", "TAYLOR", "CASEY", "RILEY", "MORGAN", "JAMIE", "AVERY")


def member(
    subscriber_id: str,
    *,
    maintenance: str = "021",
    relationship: str = "18",
    member_ref: str = "",
    last: str = "DOE",
    first: str = "JANE",
    birth: str = "19800101",
    gender: str = "F",
    city: str = "SPRINGFIELD",
    coverages: Iterable[dict[str, str]] = ({"line": "HLT", "plan": "GOLD", "begin": "20240101"},),
    reason: str = "28",
    term_date: str = "",
) -> dict[str, Any]:
    """One member loop description (defaults: a subscriber added with health coverage)."""
    return {
        "subscriber_id": subscriber_id,
        "maintenance": maintenance,
        "relationship": relationship,
        "member_ref": member_ref,
        "last": last,
        "first": first,
        "birth": birth,
        "gender": gender,
        "city": city,
        "coverages": [dict(c) for c in coverages],
        "reason": reason,
        "term_date": term_date,
    }


def _member_segments(m: dict[str, Any]) -> Iterator[str]:
    subscriber = "Y" if m["relationship"] == "18" else "N"
    yield f"INS*{subscriber}*{m['relationship']}*{m['maintenance']}*{m['reason']}*A***FT"
    yield f"REF*0F*{m['subscriber_id']}"
    yield "REF*1L*GRP001"
    if m["member_ref"]:
        yield f"REF*23*{m['member_ref']}"
    if m["term_date"]:
        yield f"DTP*357*D8*{m['term_date']}"
    if m["last"]:
        yield f"NM1*IL*1*{m['last']}*{m['first']}"
        yield "N3*100 MAIN ST"
        yield f"N4*{m['city']}*IL*62701"
        yield f"DMG*D8*{m['birth']}*{m['gender']}"
    for c in m["coverages"]:
        hd01 = c.get("hd01", m["maintenance"] if m["maintenance"] != "030" else "030")
        yield f"HD*{hd01}**{c['line']}*{c.get('plan', '')}*{c.get('level', 'IND')}"
        if c.get("begin"):
            yield f"DTP*348*D8*{c['begin']}"
        if c.get("end"):
            yield f"DTP*349*D8*{c['end']}"


def build_834(
    members: Iterable[dict[str, Any]],
    *,
    isa13: int = 1,
    action: str = "2",
    sender: str = "SENDER",
    date: str = "20240105",
) -> bytes:
    """One interchange (ISA/GS/ST..SE/GE/IEA, ``~`` terminated, one segment per line)."""
    body = [
        f"ST*834*{isa13:04d}*005010X220A1",
        f"BGN*00*REF{isa13}*{date}*1200****{action}",
        "N1*P5*SPONSOR*FI*123456789",
        "N1*IN*PAYER*FI*987654321",
    ]
    for m in members:
        body.extend(_member_segments(m))
    body.append(f"SE*{len(body) + 1}*{isa13:04d}")
    isa = (
        f"ISA*00*{'':10}*00*{'':10}*ZZ*{sender:<15}*ZZ*{'EDIPLATFORM':<15}*{date[2:]}*1200*^*"
        f"00501*{isa13:09d}*0*T*:~"
    )
    lines = [
        isa,
        f"GS*BE*{sender}*EDIPLATFORM*{date}*1200*{isa13}*X*005010X220A1~",
        *(s + "~" for s in body),
        f"GE*1*{isa13}~",
        f"IEA*1*{isa13:09d}~",
    ]
    return ("\n".join(lines) + "\n").encode("latin-1")


def generated_members(count: int, *, seed: int = 834, dependents_every: int = 3) -> list[dict]:
    """``count`` member loops: subscribers, and a dependent after every ``dependents_every``."""
    rng = random.Random(seed)
    out: list[dict] = []
    sub = 0
    while len(out) < count:
        sub += 1
        sid = f"S{sub:09d}"
        out.append(
            member(
                sid,
                last=rng.choice(_LAST),
                first=rng.choice(_FIRST),
                birth=f"19{rng.randint(40, 99)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}",
                coverages=[
                    {"line": "HLT", "plan": rng.choice(("GOLD", "SILVER")), "begin": "20240101"}
                ],
            )
        )
        if dependents_every and sub % dependents_every == 0 and len(out) < count:
            out.append(
                member(
                    sid,
                    relationship="19",
                    member_ref=f"{sid}-02",
                    last=out[-1]["last"],
                    first=rng.choice(_FIRST),
                    birth="20100101",
                    coverages=[{"line": "HLT", "plan": "GOLD", "begin": "20240101"}],
                )
            )
    return out


def set_bounds(content: bytes) -> tuple[int, int]:
    """Byte offsets of ST and just after SE's terminator (single-set files)."""
    start = content.index(b"ST*834")
    se = content.index(b"\nSE*", start) + 1
    return start, content.index(b"~", se) + 1


def set_segments(content: bytes) -> list[Segment]:
    """The ST..SE segments of a single-set file, indexed from ST = 1."""
    from eventstore.ledger.services.enrollment_834 import split_segments

    start, end = set_bounds(content)
    return split_segments(content[start:end], isa=content[:106])


def register_834(content: bytes, *, partner=None, name: str = "enrollment.834"):
    """Record ``content`` as a received batch with one accepted 834 header (no routing).

    Stores the bytes in the ``inbound`` storage so the handler can re-read the set.
    Returns (batch, header).
    """
    from django.core.files.base import ContentFile
    from django.core.files.storage import storages

    from eventstore.models import BatchStatus, SetVerdict, TransactionBatch, TransactionHeader

    digest = hashlib.sha256(content).hexdigest()
    path = storages["inbound"].save(f"synthetic/{digest}.edi", ContentFile(content))
    batch = TransactionBatch.objects.create(
        original_name=name,
        partner=partner,
        sha256=digest,
        size=len(content),
        storage_path=path,
        status=BatchStatus.ACCEPTED,
        sets_accepted=1,
    )
    start, end = set_bounds(content)
    header = TransactionHeader.objects.create(
        batch=batch,
        st01="834",
        st02=content[start:end].split(b"*")[2].split(b"*")[0].decode()[:9],
        st03="005010X220A1",
        start_offset=start,
        end_offset=end,
        verdict=SetVerdict.ACCEPTED,
    )
    return batch, header
