"""Four appender PROCESSES and a tailing reader process: no gap, no out-of-order position."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
from django.db import connection

from eventstore.models import DomainEvent, PositionCounter
from tests.conftest import REPO_ROOT, child_process_env

APPENDER = r"""
import os, random, sys, time
import django
django.setup()
from django.db import transaction
from eventstore.ledger.services.events import NewEvent, events_append

worker, total = int(sys.argv[1]), int(sys.argv[2])
rng = random.Random(worker)
done = 0
while done < total:
    size = rng.choice((1, 1, 2, 5, 20))
    events = [NewEvent(aggregate_id=f"w{worker}-{rng.randint(0, 9)}", event_type="MemberChanged",
                       data={"changes": {"city": "X"}}) for _ in range(size)]
    try:
        with transaction.atomic():
            events_append(events=events, project=False)
            time.sleep(rng.random() * 0.004)  # hold the lock a while: provoke reordering
            if rng.random() < 0.1:
                raise LookupError("roll this append back")
        done += size
    except LookupError:
        pass
print(done)
"""

READER = r"""
import json, os, sys, time
import django
django.setup()
from eventstore.models import DomainEvent

stop_file = sys.argv[1]
last, reads, problems = 0, 0, []
while True:
    stopping = os.path.exists(stop_file)
    batch = list(DomainEvent.objects.filter(position__gt=last).order_by("position")
                 .values_list("position", flat=True)[:1000])
    reads += 1
    for position in batch:
        if position != last + 1:
            problems.append([last, position])
        last = position
    if stopping and not batch:
        break
    if not batch:
        time.sleep(0.002)
print(json.dumps({"last": last, "reads": reads, "problems": problems[:20]}))
"""


def spawn(env: dict[str, str], script: str, *args: str) -> subprocess.Popen:
    """A child Python process running ``script`` with ``args`` against the test database."""
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent PostgreSQL")
def test_concurrent_appenders_never_show_a_reader_a_gap_or_reordering(tmp_path):
    env = child_process_env()
    PositionCounter.objects.get_or_create(name="events")
    stop_file = tmp_path / "stop"
    reader = spawn(env, READER, str(stop_file))
    appenders = [spawn(env, APPENDER, str(i), "150") for i in range(4)]
    try:
        outputs = [p.communicate(timeout=120) for p in appenders]
    finally:
        stop_file.write_text("stop")
        time.sleep(0.05)
    reader_out, reader_err = reader.communicate(timeout=60)
    for process, (_out, err) in zip(appenders, outputs, strict=True):
        assert process.returncode == 0, err
    assert reader.returncode == 0, reader_err
    appended = sum(int(out.strip()) for out, _ in outputs)
    seen = json.loads(reader_out)
    assert seen["problems"] == []
    assert seen["last"] == appended
    assert seen["reads"] > 1
    positions = list(DomainEvent.objects.values_list("position", flat=True))
    assert positions == list(range(1, appended + 1))
    assert PositionCounter.objects.get(name="events").last_position == appended


SINGLE_APPENDER = r"""
import sys
import django
django.setup()
from eventstore.ledger.services.events import NewEvent, events_append

worker, total = int(sys.argv[1]), int(sys.argv[2])
for i in range(total):
    # autocommit, no expected version: one statement each, the version read under the lock
    events_append(events=[NewEvent(aggregate_id=f"shared-{i % 3}", event_type="MemberChanged",
                                   data={"changes": {"city": "X"}})], project=False)
print(total)
"""


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent PostgreSQL")
def test_concurrent_single_appends_to_the_same_aggregates_all_succeed_in_order():
    """The one-statement append reads the version after taking the counter lock (a fresh
    snapshot inside the function): racing appenders of one aggregate never conflict."""
    env = child_process_env()
    appenders = [spawn(env, SINGLE_APPENDER, str(i), "60") for i in range(4)]
    outputs = [p.communicate(timeout=120) for p in appenders]
    for process, (_out, err) in zip(appenders, outputs, strict=True):
        assert process.returncode == 0, err
    rows = list(DomainEvent.objects.values_list("position", "aggregate_id", "aggregate_version"))
    assert [position for position, _, _ in rows] == list(range(1, 241))
    for k in range(3):
        versions = [v for _, a, v in rows if a == f"shared-{k}"]
        assert versions == list(range(1, 81))  # in position order too
    assert PositionCounter.objects.get(name="events").last_position == 240
