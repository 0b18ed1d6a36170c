"""The 277 responder: its declaration (real time for one inquiry, X212 guide, one file per
answered 276 interchange) and the 276 handler registered with inbound routing."""

from __future__ import annotations

from eventstore.inbound.hooks import handler_for
from outbound.responders import spec_for
from outbound.responders.r277 import handle_276


def test_declared_as_the_answer_to_276():
    spec = spec_for("277")
    assert (spec.functional_id, spec.counter_type, spec.guide_version) == (
        "HN",
        "277",
        "005010X212",
    )
    assert spec.group_by_batch and spec.answers == (("276", handle_276),)
    assert handler_for("276") is handle_276
