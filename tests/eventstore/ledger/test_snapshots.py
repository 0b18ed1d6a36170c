"""Snapshots: latest snapshot + later events == full fold (Hypothesis), upcast snapshots."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventstore.ledger.events.aggregate import EventRecord, NeedsFullFold, fold
from eventstore.ledger.events.upcasting import STATE_VERSION, upcast_state
from eventstore.ledger.services.events import NewEvent, aggregate_events, events_append
from eventstore.ledger.services.projections import project_pending
from eventstore.ledger.services.snapshots import aggregate_load, latest_snapshot, snapshots_create
from eventstore.models import EventSnapshot

DATES = st.dates().map(lambda d: d.isoformat())
KEYS = st.sampled_from(["HLT", "DEN", "VIS"])
ADDED = {
    "partner_code": "P",
    "subscriber_id": "S",
    "is_subscriber": True,
    "relationship": "18",
    "name": {"last": "DOE"},
    "address": {"city": "A"},
}

event_payloads = st.one_of(
    st.builds(lambda c: ("MemberChanged", {"changes": {"city": c}}), st.sampled_from("BCDE")),
    st.builds(lambda d: ("MemberTerminated", {"terminated_on": d}), DATES),
    st.just(("MemberReinstated", {})),
    st.builds(
        lambda k, d: ("EnrollmentAdded", {"coverage_key": k, "benefit_begin": d}), KEYS, DATES
    ),
    st.builds(
        lambda k, p: ("EnrollmentChanged", {"coverage_key": k, "changes": {"plan": p}}),
        KEYS,
        st.sampled_from(["GOLD", "SILVER"]),
    ),
    st.builds(
        lambda k, d: ("EnrollmentTerminated", {"coverage_key": k, "benefit_end": d}), KEYS, DATES
    ),
    st.builds(lambda k: ("EnrollmentReinstated", {"coverage_key": k}), KEYS),
)


def records_from(payloads, reversed_at):
    records = [EventRecord(1, "a", 1, "MemberAdded", ADDED)]
    for kind, data in payloads:
        n = len(records) + 1
        records.append(EventRecord(n, "a", n, kind, data))
    for target in reversed_at:
        if target < len(records):
            n = len(records) + 1
            original = records[target]
            records.append(
                EventRecord(
                    n,
                    "a",
                    n,
                    original.event_type + "Reversed",
                    {},
                    is_reversal=True,
                    reverses_position=original.position,
                )
            )
    return records


@settings(max_examples=200, deadline=None)
@given(
    payloads=st.lists(event_payloads, max_size=25),
    cut=st.integers(min_value=0),
    reversed_at=st.lists(st.integers(min_value=1, max_value=30), max_size=3, unique=True),
)
def test_snapshot_plus_tail_equals_full_fold(payloads, cut, reversed_at):
    records = records_from(payloads, reversed_at)
    cut = cut % (len(records) + 1)
    full = fold(records)
    # A snapshot is stored as JSON and read back through the state upcaster.
    snapshot = upcast_state(STATE_VERSION, json.loads(json.dumps(fold(records[:cut]))))
    try:
        assert fold(records[cut:], snapshot) == full
    except NeedsFullFold:
        assert any(r.is_reversal and r.reverses_position <= cut for r in records[cut:])


def test_version_1_snapshots_are_upcast():
    state_v1 = {
        "exists": True,
        "version": 2,
        "last_position": 2,
        "member": {"city": "A"},
        "enrollments": [{"coverage_key": "HLT", "plan": "GOLD"}],
    }
    assert upcast_state(1, state_v1)["enrollments"] == {"HLT": {"plan": "GOLD"}}


@pytest.mark.django_db
@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(payloads=st.lists(event_payloads, min_size=1, max_size=12), every=st.integers(2, 5))
def test_loading_with_automatic_snapshots_equals_full_fold(payloads, every):
    from django.conf import settings as dj_settings

    EventSnapshot.objects.all().delete()
    aggregate = f"agg-{len(payloads)}-{every}-{abs(hash(str(payloads))) % 10**9}"
    dj_settings.EVENTSTORE_SNAPSHOT_EVERY = every
    try:
        events_append(
            events=[NewEvent(aggregate_id=aggregate, event_type="MemberAdded", data=ADDED)],
            project=False,
        )
        for kind, data in payloads:
            events_append(
                events=[NewEvent(aggregate_id=aggregate, event_type=kind, data=data)], project=False
            )
            project_pending()
    finally:
        del dj_settings.EVENTSTORE_SNAPSHOT_EVERY
    if len(payloads) + 1 >= every:
        assert latest_snapshot(aggregate) is not None
    assert aggregate_load(aggregate) == fold(aggregate_events(aggregate))


@pytest.mark.django_db
def test_create_snapshots_command_snapshots_on_demand():
    events_append(
        events=[NewEvent(aggregate_id="x", event_type="MemberAdded", data=ADDED)], project=False
    )
    out = StringIO()
    call_command("create_snapshots", stdout=out)
    assert "1 snapshot" in out.getvalue()
    assert EventSnapshot.objects.get().state == fold(aggregate_events("x"))
    assert snapshots_create() == 0  # nothing new since


@pytest.mark.django_db
def test_aggregate_load_starts_from_the_latest_snapshot_unless_told_not_to():
    from eventstore.ledger.services.snapshots import snapshots_write

    events_append(
        events=[NewEvent(aggregate_id="x", event_type="MemberAdded", data=ADDED)], project=False
    )
    # a snapshot that differs from the fold (city "SNAP"), so the result shows where loading
    # started; the tail event after it does not touch the city
    marked = fold(aggregate_events("x"))
    marked["member"]["city"] = "SNAP"
    assert snapshots_write([("x", marked)]) == 1
    events_append(
        events=[
            NewEvent(
                aggregate_id="x",
                event_type="EnrollmentAdded",
                data={"coverage_key": "HLT", "benefit_begin": "2026-01-01"},
            )
        ],
        project=False,
    )
    loaded = aggregate_load("x")
    assert loaded["member"]["city"] == "SNAP"
    assert loaded["version"] == 2 and "HLT" in loaded["enrollments"]
    assert aggregate_load("x", use_snapshot=False) == fold(aggregate_events("x"))
    assert aggregate_load("x", use_snapshot=False)["member"]["city"] == "A"


@pytest.mark.django_db
def test_snapshots_create_writes_every_due_aggregate_across_write_batches(monkeypatch):
    from eventstore.ledger.services import snapshots

    monkeypatch.setattr(snapshots, "WRITE_BATCH", 2)
    for aggregate in "abcde":
        events_append(
            events=[NewEvent(aggregate_id=aggregate, event_type="MemberAdded", data=ADDED)],
            project=False,
        )
    events_append(
        events=[
            NewEvent(aggregate_id="a", event_type="MemberChanged", data={"changes": {"city": "B"}})
        ],
        project=False,
    )
    # five aggregates in batches of two (2 + 2 + a last 1): each written, and counted, once
    assert snapshots_create() == 5
    assert sorted(EventSnapshot.objects.values_list("aggregate_id", "aggregate_version")) == [
        ("a", 2),
        ("b", 1),
        ("c", 1),
        ("d", 1),
        ("e", 1),
    ]
    for aggregate in "abcde":
        assert latest_snapshot(aggregate)[1] == fold(aggregate_events(aggregate))
    # only aggregates with at least min_new_events since their snapshot are due
    for city in "CD":
        events_append(
            events=[
                NewEvent(
                    aggregate_id="b", event_type="MemberChanged", data={"changes": {"city": city}}
                )
            ],
            project=False,
        )
    events_append(
        events=[
            NewEvent(aggregate_id="c", event_type="MemberChanged", data={"changes": {"city": "E"}})
        ],
        project=False,
    )
    assert snapshots_create(min_new_events=3) == 0
    assert snapshots_create(min_new_events=2) == 1
    assert latest_snapshot("b")[0] == 3
    assert latest_snapshot("c")[0] == 1
    assert snapshots_create(min_new_events=1) == 1  # c, now


@pytest.mark.django_db
def test_snapshots_and_events_of_many_aggregates_come_in_one_read():
    from eventstore.ledger.services.events import aggregates_snapshots_and_events

    for aggregate in ("a", "b", "c"):
        events_append(
            events=[NewEvent(aggregate_id=aggregate, event_type="MemberAdded", data=ADDED)],
            project=False,
        )
    snapshots_create(aggregate_ids=["a", "b"])
    for aggregate, city in (("a", "B"), ("a", "C"), ("c", "D")):
        events_append(
            events=[
                NewEvent(
                    aggregate_id=aggregate,
                    event_type="MemberChanged",
                    data={"changes": {"city": city}},
                )
            ],
            project=False,
        )
    snapshots_create(aggregate_ids=["a"])  # a second, newer snapshot of "a"
    snapshots, events = aggregates_snapshots_and_events(["a", "b", "c", "nobody"])
    assert {k: (s.version, s.state) for k, s in snapshots.items()} == {
        "a": (3, fold(aggregate_events("a"))),
        "b": (1, fold(aggregate_events("b"))),
    }
    assert events == {a: aggregate_events(a) for a in ("a", "b", "c", "nobody")}
    assert [r.version for r in events["a"]] == [1, 2, 3]


@pytest.mark.django_db
def test_the_projector_snapshots_exactly_the_versions_that_pass_a_multiple(settings):
    settings.EVENTSTORE_SNAPSHOT_EVERY = 3
    aggregate = "cadence"
    events_append(
        events=[NewEvent(aggregate_id=aggregate, event_type="MemberAdded", data=ADDED)],
        project=False,
    )
    project_pending()
    for n in range(6):  # versions 2..7, one projector run each
        events_append(
            events=[
                NewEvent(
                    aggregate_id=aggregate,
                    event_type="MemberChanged",
                    data={"changes": {"city": f"C{n}"}},
                )
            ],
            project=False,
        )
        project_pending()
    versions = sorted(
        EventSnapshot.objects.filter(aggregate_id=aggregate).values_list(
            "aggregate_version", flat=True
        )
    )
    assert versions == [3, 6]
    for snapshot in EventSnapshot.objects.filter(aggregate_id=aggregate):
        assert snapshot.state == fold(aggregate_events(aggregate)[: snapshot.aggregate_version])


@pytest.mark.parametrize(
    ("old", "new", "due"),
    [(2, 3, True), (3, 4, False), (0, 2, False), (2, 7, True), (5, 5, False), (1, 50, True)],
)
def test_a_snapshot_is_due_when_a_multiple_is_passed(old, new, due):
    from eventstore.ledger.services.snapshots import crossed_snapshot_boundary

    assert crossed_snapshot_boundary(old, new, 3 if new < 50 else 50) is due


def test_snapshots_are_off_when_every_is_zero():
    from eventstore.ledger.services.snapshots import crossed_snapshot_boundary

    assert crossed_snapshot_boundary(2, 3, 0) is False
    assert crossed_snapshot_boundary(0, 100, 0) is False


@pytest.mark.django_db
def test_snapshots_write_skips_empty_aggregates_and_keeps_one_row_per_version():
    from eventstore.ledger.services.snapshots import snapshots_write

    assert snapshots_write([("nobody", fold([]))]) == 0
    assert not EventSnapshot.objects.exists()
    events_append(
        events=[NewEvent(aggregate_id="x", event_type="MemberAdded", data=ADDED)], project=False
    )
    state = fold(aggregate_events("x"))
    assert snapshots_write([("x", state)]) == 1
    snapshots_write([("x", state)])  # the same version again: no error, no second row
    row = EventSnapshot.objects.get()
    assert (row.aggregate_id, row.aggregate_version, row.state_version) == ("x", 1, STATE_VERSION)
    assert row.position == state["last_position"]


def test_every_one_snapshots_every_version():
    from eventstore.ledger.services.snapshots import crossed_snapshot_boundary

    assert crossed_snapshot_boundary(1, 2, 1) is True
    assert crossed_snapshot_boundary(0, 1, 1) is True
