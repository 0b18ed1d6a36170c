"""Event types, their schema versions, and the JSON schema of each (type, version).

Appends are validated against the schema of the version they declare (new events use the
current version); readers upcast older versions to the current one (see ``upcasting``).
Every ``<Type>`` also has a ``<Type>Reversed`` compensating event (schema ``REVERSAL_SCHEMA``).
"""

from __future__ import annotations

from typing import Any

MEMBER = "Member"  # the only aggregate type: a member and its coverages

STR = {"type": "string", "maxLength": 80}
CODE = {"type": "string", "maxLength": 3}
DATE = {"type": ["string", "null"], "format": "date"}
BOOL = {"type": "boolean"}


def _obj(props: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": props,
        "required": list(required),
        "additionalProperties": False,
    }


NAME = _obj({"last": STR, "first": STR, "middle": STR}, ("last",))
ADDRESS = _obj({"line1": STR, "line2": STR, "city": STR, "state": CODE, "postal_code": STR})

# Member fields that a MemberChanged may carry (identity fields are not among them: a new
# subscriber id or member ref is a different member, see mapping_834.member_aggregate_id).
MEMBER_CHANGE_FIELDS: dict[str, dict[str, Any]] = {
    "is_subscriber": BOOL,
    "relationship": CODE,
    "last_name": STR,
    "first_name": STR,
    "middle_name": STR,
    "birth_date": DATE,
    "gender": {"type": "string", "maxLength": 1},
    "address_line1": STR,
    "address_line2": STR,
    "city": STR,
    "state": CODE,
    "postal_code": STR,
    "group_policy": STR,
    "benefit_status": {"type": "string", "maxLength": 1},
    "maintenance_reason": CODE,
    "eligibility_begin": DATE,
    "eligibility_end": DATE,
}
ENROLLMENT_CHANGE_FIELDS: dict[str, dict[str, Any]] = {
    "plan": {"type": "string", "maxLength": 50},
    "coverage_level": CODE,
    "benefit_begin": DATE,
    "benefit_end": DATE,
    "maintenance_reason": CODE,
}

_MEMBER_COMMON = {
    "partner_code": {"type": "string", "maxLength": 15},
    "subscriber_id": STR,
    "member_ref": STR,
    "is_subscriber": BOOL,
    "relationship": CODE,
    "birth_date": DATE,
    "gender": {"type": "string", "maxLength": 1},
    "group_policy": STR,
    "benefit_status": {"type": "string", "maxLength": 1},
    "maintenance_reason": CODE,
    "eligibility_begin": DATE,
    "eligibility_end": DATE,
}
_MEMBER_REQUIRED = ("partner_code", "subscriber_id", "is_subscriber", "relationship", "name")

SCHEMAS: dict[tuple[str, int], dict[str, Any]] = {
    # v1 carried the address flat at the top level; v2 nests it (upcaster in upcasting.py).
    ("MemberAdded", 1): _obj(
        {
            **_MEMBER_COMMON,
            "name": NAME,
            "address_line1": STR,
            "address_line2": STR,
            "city": STR,
            "state": CODE,
            "postal_code": STR,
        },
        _MEMBER_REQUIRED,
    ),
    ("MemberAdded", 2): _obj(
        {**_MEMBER_COMMON, "name": NAME, "address": ADDRESS}, (*_MEMBER_REQUIRED, "address")
    ),
    ("MemberChanged", 1): _obj({"changes": _obj(MEMBER_CHANGE_FIELDS)}, ("changes",)),
    ("MemberTerminated", 1): _obj(
        {"terminated_on": DATE, "maintenance_reason": CODE, "benefit_status": CODE},
        ("terminated_on",),
    ),
    ("MemberReinstated", 1): _obj(
        {"eligibility_begin": DATE, "maintenance_reason": CODE, "benefit_status": CODE}
    ),
    ("EnrollmentAdded", 1): _obj(
        {
            "coverage_key": CODE,
            "plan": {"type": "string", "maxLength": 50},
            "coverage_level": CODE,
            "benefit_begin": DATE,
            "benefit_end": DATE,
            "maintenance_reason": CODE,
        },
        ("coverage_key", "benefit_begin"),
    ),
    ("EnrollmentChanged", 1): _obj(
        {"coverage_key": CODE, "changes": _obj(ENROLLMENT_CHANGE_FIELDS)},
        ("coverage_key", "changes"),
    ),
    ("EnrollmentTerminated", 1): _obj(
        {"coverage_key": CODE, "benefit_end": DATE, "maintenance_reason": CODE},
        ("coverage_key", "benefit_end"),
    ),
    ("EnrollmentReinstated", 1): _obj(
        {
            "coverage_key": CODE,
            "benefit_begin": DATE,
            "benefit_end": DATE,
            "maintenance_reason": CODE,
        },
        ("coverage_key",),
    ),
}

BASE_EVENT_TYPES: tuple[str, ...] = (
    "MemberAdded",
    "MemberChanged",
    "MemberTerminated",
    "MemberReinstated",
    "EnrollmentAdded",
    "EnrollmentChanged",
    "EnrollmentTerminated",
    "EnrollmentReinstated",
)
REVERSAL_SUFFIX = "Reversed"
REVERSAL_SCHEMA = _obj(
    {
        "reverses_event_id": {"type": "string", "maxLength": 36},
        "reverses_position": {"type": "integer"},
        "reverses_type": {"type": "string", "maxLength": 60},
    },
    ("reverses_event_id", "reverses_position", "reverses_type"),
)
for _type in BASE_EVENT_TYPES:
    SCHEMAS[(_type + REVERSAL_SUFFIX, 1)] = REVERSAL_SCHEMA

# Current (latest) schema version of every event type: what new appends are written as.
CURRENT_VERSIONS: dict[str, int] = {}
for _type, _version in SCHEMAS:
    CURRENT_VERSIONS[_type] = max(CURRENT_VERSIONS.get(_type, 0), _version)

EVENT_TYPES: tuple[str, ...] = tuple(sorted(CURRENT_VERSIONS))


class UnknownEventType(ValueError):
    """No schema is registered for this event type / version."""


def schema_for(event_type: str, version: int) -> dict[str, Any]:
    """The JSON schema of ``event_type`` at ``version``."""
    try:
        return SCHEMAS[(event_type, version)]
    except KeyError:
        raise UnknownEventType(f"no schema for {event_type} v{version}") from None


def is_reversal_type(event_type: str) -> bool:
    return event_type.endswith(REVERSAL_SUFFIX)
