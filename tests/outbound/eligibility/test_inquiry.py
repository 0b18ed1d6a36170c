"""Reading a 270 set: the pieces in order, one subscriber at a time, with what each asks."""

from __future__ import annotations

import pytest

from edi_platform import x12
from outbound.eligibility.inquiry import InquiryError, Party, Person, iter_270
from tests.support.synthetic_270 import build_270, dependent, subscriber


def pieces(data: bytes, repetition: str = "^") -> list[tuple[str, object]]:
    tset = next(iter(x12.iter_transaction_sets(data)))[2]
    return list(iter_270(tset.segments, repetition=repetition))


def test_the_pieces_come_in_order_each_subscriber_with_its_dependents():
    data = build_270(
        [
            subscriber("S1", trn="A1", dependents=[dependent(first="KID", trn="K1")]),
            subscriber(
                "S2", service_types=[("30", "35", "AL"), ("48",)], eq_dates=["", "20260101"]
            ),
        ],
        bht_ref="REF-9",
    )
    got = pieces(data)
    assert [kind for kind, _ in got] == ["header", "source", "receiver", "subscriber", "subscriber"]
    assert got[0][1][2] == "REF-9"
    source, receiver = got[1][1], got[2][1]
    assert isinstance(source, Party) and source.nm1[8] == "EDIPLATFORM"
    assert isinstance(receiver, Party) and receiver.nm1[8] == "1234567893"
    first, second = got[3][1], got[4][1]
    assert isinstance(first, Person) and isinstance(second, Person)
    assert (first.member_id, first.last_name, first.first_name) == ("S1", "DOE", "JANE")
    assert first.trns == [["1", "A1", "9123456789"]]
    assert [d.first_name for d in first.dependents] == ["KID"]
    assert first.dependents[0].member_id == ""  # a 5010 dependent has no id of its own
    assert first.is_patient  # it asks for itself too (an EQ of its own)
    assert [b.service_types for b in second.benefits] == [["30", "35", "AL"], ["48"]]
    assert [(b.date_format, b.date) for b in second.benefits] == [("", ""), ("D8", "20260101")]
    assert second.birth_text == ("D8", "19800101")


def test_a_subscriber_asking_only_for_its_dependents_is_not_itself_a_patient():
    data = build_270([subscriber("S1", service_types=[], dependents=[dependent()])])
    person = pieces(data)[3][1]
    assert isinstance(person, Person) and not person.is_patient
    assert person.dependents[0].is_patient


def test_a_dependent_without_a_subscriber_cannot_be_followed():
    data = build_270([subscriber("S1")]).replace(b"HL*3*2*22*0", b"HL*3*2*23*0")
    with pytest.raises(InquiryError, match="dependent without subscriber"):
        pieces(data)
