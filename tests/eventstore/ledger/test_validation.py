"""The compiled fast validator must agree with the detailed one on every payload."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from eventstore.ledger.events.schemas import REVERSAL_SCHEMA, SCHEMAS
from eventstore.ledger.events.validation import errors, is_valid

ALL_SCHEMAS = [*SCHEMAS.values(), REVERSAL_SCHEMA]

# Values that break one rule or another: wrong types, bad dates, long strings, None.
ODD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.sampled_from(["", "A", "021", "2024-02-30", "2024-02-29", "20240101", "x" * 81]),
    st.text(max_size=4),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.sampled_from(["a", "last"]), st.text(max_size=3), max_size=2),
)


def payload_for(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Mostly valid payloads for ``schema``, with odd values, dropped and extra keys mixed in."""
    kinds = schema.get("type")
    names = [kinds] if isinstance(kinds, str) else list(kinds or [])
    if "object" in names:
        props = schema.get("properties", {})
        fields = {key: st.one_of(payload_for(sub), ODD_VALUES) for key, sub in props.items()}
        base = st.fixed_dictionaries({}, optional=fields) if fields else st.just({})
        extra = st.dictionaries(st.sampled_from(["extra", "ssn"]), ODD_VALUES, max_size=1)
        required = st.fixed_dictionaries(
            {k: payload_for(props[k]) for k in schema.get("required", ()) if k in props}
        )
        objects = st.builds(lambda r, b, e: {**b, **r, **e}, required, base, extra)
        return st.one_of(objects, base) if "null" not in names else st.one_of(objects, st.none())
    if "string" in names:
        limit = schema.get("maxLength", 10)
        if schema.get("format") == "date":
            text = st.dates().map(lambda d: d.isoformat())
        elif "enum" in schema:
            text = st.sampled_from(sorted(schema["enum"]))
        else:
            text = st.text(max_size=limit + 1)
        return st.one_of(text, st.none()) if "null" in names else text
    if "boolean" in names:
        return st.booleans()
    if "integer" in names:
        return st.integers()
    return ODD_VALUES


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_fast_validator_agrees_with_the_detailed_errors(data):
    for schema in ALL_SCHEMAS:
        value = data.draw(st.one_of(payload_for(schema), ODD_VALUES))
        assert is_valid(value, schema) == (errors(value, schema) == [])


def test_fast_validator_rejects_each_broken_rule():
    schema = SCHEMAS[("MemberChanged", max(v for t, v in SCHEMAS if t == "MemberChanged"))]
    good = {"changes": {"city": "SPRINGFIELD"}}
    assert is_valid(good, schema)
    for bad in (
        {},  # required key missing
        {"changes": {"city": "X"}, "extra": 1},  # additional property
        {"changes": {"city": "X" * 81}},  # too long
        {"changes": {"birth_date": "1980-13-45"}},  # not a date
        {"changes": {"is_subscriber": "Y"}},  # wrong type
        {"changes": None},  # null where an object is required
    ):
        assert not is_valid(bad, schema), bad
        assert errors(bad, schema)
