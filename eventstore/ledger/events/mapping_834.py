"""834 Benefit Enrollment and Maintenance (005010X220A1) → member facts, as a table.

``SEGMENT_MAP`` below is the mapping, written down as data: (loop, segment, qualifier element
and value, element, target field). The parser walks a transaction set's segments once, uses the
table to fill one :class:`MemberLoop` per INS (loop 2000 with its 2100A name/demographics/
address and its 2300 HD coverages) and knows nothing else about the guide.

Member identity (stable, PHI-free): ``member_aggregate_id`` = ``"m-"`` + HMAC-SHA256 over
``partner code | subscriber id (REF*0F) | person key``, where the person key is ``self`` for
the subscriber (INS01 = Y), else ``ref:<REF*23>`` when the dependent carries a member
reference, else ``rel:<INS02>:<DMG02>`` (relationship + birth date — twins of the same
relationship need REF*23 to be told apart). The key is ``settings.EVENTSTORE_MEMBER_ID_KEY``
(defaults to a fixed project constant): set it once per installation and never change it.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass, field

from edi_platform.x12.segments import Segment

# INS03 / HD01 maintenance type codes (005010X220A1).
MAINTENANCE_TYPES: dict[str, str] = {
    "021": "addition",
    "001": "change",
    "024": "cancellation or termination",
    "025": "reinstatement",
    "030": "audit or compare",
}
# BGN08 action codes: 2 = change (update), 4 = verify (compare only), RX = replace.
BGN08_ACTIONS: dict[str, str] = {"2": "change", "4": "verify", "RX": "replace"}

# (loop, segment id, (qualifier element, qualifier value) or None, element, field)
#   loop "header" = before the first INS, "2000" = member level, "2100A" = after NM1*IL,
#   "2300" = after an HD (health coverage).
SEGMENT_MAP: tuple[tuple[str, str, tuple[int, str] | None, int, str], ...] = (
    ("header", "BGN", None, 2, "reference"),
    ("header", "BGN", None, 3, "file_date"),
    ("header", "BGN", None, 4, "file_time"),
    ("header", "BGN", None, 8, "action_code"),
    ("2000", "INS", None, 1, "subscriber_indicator"),
    ("2000", "INS", None, 2, "relationship"),
    ("2000", "INS", None, 3, "maintenance_type"),
    ("2000", "INS", None, 4, "maintenance_reason"),
    ("2000", "INS", None, 5, "benefit_status"),
    ("2000", "REF", (1, "0F"), 2, "subscriber_id"),
    ("2000", "REF", (1, "1L"), 2, "group_policy"),
    ("2000", "REF", (1, "23"), 2, "member_ref"),
    ("2000", "DTP", (1, "303"), 3, "maintenance_effective"),
    ("2000", "DTP", (1, "356"), 3, "eligibility_begin"),
    ("2000", "DTP", (1, "357"), 3, "eligibility_end"),
    ("2100A", "NM1", (1, "IL"), 3, "last_name"),
    ("2100A", "NM1", (1, "IL"), 4, "first_name"),
    ("2100A", "NM1", (1, "IL"), 5, "middle_name"),
    ("2100A", "DMG", (1, "D8"), 2, "birth_date"),
    ("2100A", "DMG", (1, "D8"), 3, "gender"),
    ("2100A", "N3", None, 1, "address_line1"),
    ("2100A", "N3", None, 2, "address_line2"),
    ("2100A", "N4", None, 1, "city"),
    ("2100A", "N4", None, 2, "state"),
    ("2100A", "N4", None, 3, "postal_code"),
    ("2300", "HD", None, 1, "maintenance_type"),
    ("2300", "HD", None, 3, "insurance_line"),
    ("2300", "HD", None, 4, "plan"),
    ("2300", "HD", None, 5, "coverage_level"),
    ("2300", "DTP", (1, "348"), 3, "benefit_begin"),
    ("2300", "DTP", (1, "349"), 3, "benefit_end"),
)
DATE_FIELDS = frozenset(
    {
        "maintenance_effective",
        "eligibility_begin",
        "eligibility_end",
        "birth_date",
        "benefit_begin",
        "benefit_end",
    }
)
# Required per loop (a missing one makes the set fail, with the INS position, no values).
REQUIRED_MEMBER_FIELDS = ("subscriber_indicator", "relationship", "maintenance_type")

# SEGMENT_MAP indexed for the parser: loop -> segment id -> (qualifier position or 0,
# qualifier value, element, field, is a date). Built once; the parser runs per segment.
_INDEX: dict[str, dict[str, list[tuple[int, str, int, str, bool]]]] = {}
for _loop, _seg, _qual, _el, _field in SEGMENT_MAP:
    _INDEX.setdefault(_loop, {}).setdefault(_seg, []).append(
        (_qual[0] if _qual else 0, _qual[1] if _qual else "", _el, _field, _field in DATE_FIELDS)
    )


class Mapping834Error(ValueError):
    """The 834 cannot be mapped. The message names positions and element names only."""


@dataclass
class Coverage:
    """One loop 2300 (HD) of a member."""

    fields: dict[str, str] = field(default_factory=dict)
    segment_index: int = 0


@dataclass
class MemberLoop:
    """One loop 2000 (INS) with its 2100A and 2300 loops, mapped to field names."""

    fields: dict[str, str] = field(default_factory=dict)
    coverages: list[Coverage] = field(default_factory=list)
    ins_index: int = 0  # segment position of INS inside the set (ST = 1)
    ins_line: int = 0

    @property
    def maintenance_type(self) -> str:
        return self.fields.get("maintenance_type", "")

    @property
    def is_subscriber(self) -> bool:
        return self.fields.get("subscriber_indicator") == "Y"


@dataclass
class Parsed834:
    header: dict[str, str]
    members: list[MemberLoop]


@functools.lru_cache(maxsize=65536)
def _iso_date(raw: str) -> str:
    """CCYYMMDD → YYYY-MM-DD; ValueError when it is not a real date (dates repeat a lot in a
    file: birth dates, coverage begins, so they are converted once)."""
    if len(raw) != 8 or not (raw.isascii() and raw.isdigit()):
        raise ValueError(raw)
    return dt.date(int(raw[:4]), int(raw[4:6]), int(raw[6:8])).isoformat()


def _fill(target: dict[str, str], loop: str, seg: Segment) -> None:
    specs = _INDEX.get(loop, {}).get(seg.id)
    if not specs:
        return
    elements = seg.elements
    count = len(elements)
    for qual_pos, qual_value, element, name, is_date in specs:
        if qual_pos and (elements[qual_pos - 1] if qual_pos <= count else "") != qual_value:
            continue
        if element > count:
            continue
        value = elements[element - 1].strip()
        if not value:
            continue
        if is_date:
            try:
                value = _iso_date(value.split("-", 1)[0])
            except ValueError:
                raise Mapping834Error(
                    f"segment {seg.index} {seg.id}{element:02d}: not a valid CCYYMMDD date"
                ) from None
        target[name] = value


def parse_834(segments: Iterable[Segment]) -> Parsed834:
    """Map the segments of one 834 set (ST..SE) to header facts and member loops."""
    header: dict[str, str] = {}
    members: list[MemberLoop] = []
    current: MemberLoop | None = None
    loop = "header"
    for seg in segments:
        sid = seg.id
        if sid == "INS":
            current = MemberLoop(ins_index=seg.index, ins_line=seg.line)
            members.append(current)
            loop = "2000"
        elif current is None:
            _fill(header, "header", seg)
            continue
        elif sid == "NM1":
            # 2100A is the member name; other NM1 loops (mailing address, custodial parent,
            # responsible person...) are not mapped and must not overwrite 2100A's N3/N4.
            loop = "2100A" if seg.get(1) == "IL" else "other"
            if loop != "2100A":
                continue
        elif sid == "HD":
            current.coverages.append(Coverage(segment_index=seg.index))
            loop = "2300"
        elif sid in ("LX", "LS", "LE"):
            loop = "other"  # 2700 reporting categories: not mapped
            continue
        elif sid in ("SE",):
            break
        if loop == "2300":
            _fill(current.coverages[-1].fields, "2300", seg)
        elif loop in ("2000", "2100A"):
            # REF/DTP at member level may follow NM1 in malformed-but-common files: accept.
            _fill(current.fields, "2000" if sid in ("INS", "REF", "DTP") else loop, seg)
    for member in members:
        where = f"INS at segment {member.ins_index}"
        for name in REQUIRED_MEMBER_FIELDS:
            if not member.fields.get(name):
                raise Mapping834Error(f"{where}: {name} missing")
        if member.maintenance_type not in MAINTENANCE_TYPES:
            raise Mapping834Error(f"{where}: INS03 maintenance type not supported")
        if not member.fields.get("subscriber_id"):
            raise Mapping834Error(f"{where}: REF*0F subscriber identifier missing")
        if member.maintenance_type in ("021", "001") and not member.fields.get("last_name"):
            raise Mapping834Error(f"{where}: NM1*IL member name missing")
        for coverage in member.coverages:
            cwhere = f"HD at segment {coverage.segment_index}"
            if not coverage.fields.get("insurance_line"):
                raise Mapping834Error(f"{cwhere}: HD03 insurance line code missing")
            hd01 = coverage.fields.get("maintenance_type", "")
            if hd01 not in MAINTENANCE_TYPES:
                raise Mapping834Error(f"{cwhere}: HD01 maintenance type not supported")
    return Parsed834(header=header, members=members)


def person_key(member: MemberLoop) -> str:
    """The person within the family (see the module docstring)."""
    if member.is_subscriber or member.fields.get("relationship") == "18":
        return "self"
    if member.fields.get("member_ref"):
        return "ref:" + member.fields["member_ref"]
    return f"rel:{member.fields.get('relationship', '')}:{member.fields.get('birth_date', '')}"


_DEFAULT_KEY = "edi-platform-member-identity-v1"


def member_aggregate_id(partner_code: str, subscriber_id: str, person: str) -> str:
    """Stable, PHI-free aggregate id of a member (keyed hash of its identity)."""
    from django.conf import settings

    key = getattr(settings, "EVENTSTORE_MEMBER_ID_KEY", "") or _DEFAULT_KEY
    message = f"{partner_code}|{subscriber_id}|{person}".encode()
    return "m-" + hmac.new(key.encode(), message, hashlib.sha256).hexdigest()[:40]
