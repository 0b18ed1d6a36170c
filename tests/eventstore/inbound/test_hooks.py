"""The inbound extension points: outcome sink (registered by outbound) and ST01 handlers."""

from __future__ import annotations

import pytest

from eventstore.inbound import hooks as inbound_hooks
from outbound.services.inbound_sink import stage_inbound_outcome


def test_outbound_registers_its_sink_at_start_up():
    assert inbound_hooks.outcome_sink() is stage_inbound_outcome


def test_missing_sink_is_an_explicit_error(monkeypatch):
    monkeypatch.setattr(inbound_hooks, "_sink", None)
    with pytest.raises(inbound_hooks.OutcomeSinkMissing):
        inbound_hooks.outcome_sink()


def test_handlers_are_found_by_st01_and_can_be_replaced_or_removed(monkeypatch):
    monkeypatch.setattr(inbound_hooks, "_handlers", {})

    def first(**kw):
        return "a"

    def second(**kw):
        return "b"

    assert inbound_hooks.handler_for("270") is None
    inbound_hooks.register_handler("270", first)
    assert inbound_hooks.handler_for("270") is first
    inbound_hooks.register_handler("270", second)
    assert inbound_hooks.handler_for("270") is second
    inbound_hooks.unregister_handler("270")
    assert inbound_hooks.handler_for("270") is None
