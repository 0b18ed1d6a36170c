"""The registry's guarantees, in the database: our claim control numbers are unique and
never reused (a rolled-back block is taken again, never sent twice), only accepted claims
carry one, a claim is recorded once per (set, position) whatever the retries, and the
counter stays at or above every number given (the invariant migrate/restore check)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from edi_platform.core.invariants import invariants_check
from outbound.claims.registry import (
    ROW_COLUMNS,
    claim_numbers_lock,
    claim_numbers_take,
    claims_insert,
)
from outbound.models import Claim, ClaimNumberCounter, ClaimStatus
from tests.support.synthetic_837 import Claim as C
from tests.support.synthetic_837 import Provider, many_claims

pytestmark = pytest.mark.django_db


def test_numbers_come_in_consecutive_blocks_and_a_rolled_back_block_is_taken_again():
    with transaction.atomic():
        last = claim_numbers_lock()
        assert claim_numbers_take(3) == [last + 1, last + 2, last + 3]
    try:
        with transaction.atomic():
            taken = claim_numbers_take(2)
            raise RuntimeError("rolled back")
    except RuntimeError:
        pass
    with transaction.atomic():
        assert claim_numbers_take(2) == taken  # never sent: taken again, no gap
    assert ClaimNumberCounter.objects.get().last_value == taken[-1]


def test_the_invariant_sees_a_counter_below_a_number_given(world):
    world.enrol()
    world.send("P", [Provider(claims=[C(pcn="N1")])])
    assert invariants_check_holds()
    ClaimNumberCounter.objects.update(last_value=0)
    assert not invariants_check_holds()


def test_accepted_claims_have_unique_numbers_across_files(world):
    world.enrol()
    first = world.send("P", [Provider(claims=many_claims(30, pcn_prefix="A"))])
    second = world.send("P", [Provider(claims=many_claims(30, pcn_prefix="B"))])
    rows = world.claims(first) + world.claims(second)
    numbers = [r.payer_claim_control_number for r in rows]
    assert all(r.status == ClaimStatus.ACCEPTED for r in rows)
    assert len(set(numbers)) == 60 and numbers == sorted(numbers)
    assert invariants_check_holds()


def test_the_database_refuses_a_number_twice_or_on_a_rejected_claim(world):
    world.enrol()
    result = world.send("P", [Provider(claims=[C(pcn="X1"), C(pcn="X2", charge="1.00")])])
    accepted, rejected = world.claims(result)
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.filter(pk=rejected.pk).update(
            payer_claim_control_number=accepted.payer_claim_control_number
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.filter(pk=accepted.pk).update(payer_claim_control_number=None)


def _recorded(world, pcn: str) -> Claim:
    """One claim sent and recorded (accepted)."""
    world.enrol()
    result = world.send("P", [Provider(claims=[C(pcn=pcn)])])
    (row,) = world.claims(result)
    return row


def _values(row: Claim, **changes) -> list:
    """``row`` as a :func:`claims_insert` row, with ``changes``."""
    values = {n: getattr(row, n) for n, _ in ROW_COLUMNS} | {"reasons": "[]"} | changes
    return [values[n] for n, _ in ROW_COLUMNS]


def _rejected_again(row: Claim, **changes) -> list:
    return _values(row, payer_claim_control_number=None, status=ClaimStatus.REJECTED, **changes)


def test_recording_a_set_again_adds_nothing(world):
    row = _recorded(world, "ONCE")
    assert claims_insert([_rejected_again(row)]) == 0  # ON CONFLICT (header, position)
    assert Claim.objects.filter(header_id=row.header_id).count() == 1


def test_a_chunk_with_one_claim_recorded_before_records_the_others_once(world):
    # the straight COPY is refused by the unique index; the ON CONFLICT way keeps the rest
    row = _recorded(world, "KEPT")
    again, new = _rejected_again(row), _rejected_again(row, position=row.position + 100)
    with transaction.atomic():
        assert claims_insert([again, new]) == 1
    positions = Claim.objects.filter(header_id=row.header_id).values_list("position", flat=True)
    assert sorted(positions) == [row.position, row.position + 100]


def test_a_row_that_breaks_a_check_constraint_is_refused_not_skipped(world):
    row = _recorded(world, "CHECKED")
    # ACCEPTED without a claim control number
    wrong = _values(row, position=row.position + 100, payer_claim_control_number=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        claims_insert([wrong])
    assert Claim.objects.filter(header_id=row.header_id).count() == 1


def invariants_check_holds() -> bool:
    with connection.cursor() as cursor:
        results = invariants_check(cursor=cursor, tables=connection.introspection.table_names())
    found = {r.name: r for r in results}["claims.counter_at_or_above_given"]
    return found.violations == 0
