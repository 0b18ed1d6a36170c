"""Partner configuration as code: import (upsert, all or nothing) and export round trip."""

from __future__ import annotations

import copy
import json

import pytest

from edi_platform.partners.models import TradingPartner
from edi_platform.partners.services import PartnerImportError, partners_export, partners_import
from tests.factories import TradingPartnerFactory

pytestmark = pytest.mark.django_db


def _entry(code: str, sender: str, **overrides) -> dict:
    entry = {
        "code": code,
        "name": f"Partner {code}",
        "active": True,
        "their_isa_qualifier": "ZZ",
        "their_isa_id": sender,
        "our_isa_qualifier": "ZZ",
        "our_isa_id": "EDIPLATFORM",
        "their_gs_code": sender,
        "our_gs_code": "EDIPLATFORM",
        "usage_indicator": "P",
        "ta1_policy": "always",
        "delimiters": {"element": "*", "component": ":", "repetition": "^", "segment": "~"},
    }
    entry.update(overrides)
    return entry


def test_import_creates_then_reports_unchanged_then_updated():
    entries = [_entry("ALPHA", "ALPHA1"), _entry("BETA", "BETA1")]
    first = partners_import(entries=entries)
    assert first.created == ["ALPHA", "BETA"]
    again = partners_import(entries=copy.deepcopy(entries))
    assert again.unchanged == ["ALPHA", "BETA"] and not again.created and not again.updated
    entries[1]["name"] = "Renamed"
    third = partners_import(entries=entries)
    assert third.updated == ["BETA"] and third.unchanged == ["ALPHA"]
    assert TradingPartner.objects.get(code="BETA").name == "Renamed"


def test_export_then_import_round_trips_every_field():
    TradingPartnerFactory(code="RT-1", element_separator="|", component_separator=">")
    TradingPartnerFactory(code="RT-2", ta1_policy="never", control_number_scope="transaction")
    exported = partners_export()
    TradingPartner.objects.all().delete()
    result = partners_import(entries=json.loads(json.dumps(exported)))
    assert result.created == ["RT-1", "RT-2"]
    assert partners_export() == exported
    assert exported[0]["delimiters"] == {
        "element": "|",
        "component": ">",
        "repetition": "^",
        "segment": "~",
    }


def test_invalid_entry_rejects_the_whole_file_with_per_field_messages():
    TradingPartnerFactory(code="KEEP", name="Original")
    entries = [
        _entry("KEEP", "SKEEP", name="Changed"),
        _entry("bad code", "X1"),
        _entry("GOOD", "G1", their_isa_qualifier="99", delimiters={"element": "~", "segment": "~"}),
    ]
    with pytest.raises(PartnerImportError) as exc:
        partners_import(entries=entries)
    text = "\n".join(exc.value.messages)
    assert "entry 2 (bad code): code:" in text
    assert "entry 3 (GOOD): their_isa_qualifier:" in text
    assert "entry 3 (GOOD): segment_terminator:" in text
    assert TradingPartner.objects.get(code="KEEP").name == "Original"
    assert not TradingPartner.objects.filter(code="GOOD").exists()


def test_sender_clash_inside_the_file_and_with_the_database_is_reported():
    TradingPartnerFactory(code="OWNER", their_isa_qualifier="ZZ", their_isa_id="TAKEN")
    with pytest.raises(PartnerImportError) as exc:
        partners_import(
            entries=[_entry("NEW1", "DUP"), _entry("NEW2", "DUP"), _entry("NEW3", "TAKEN")]
        )
    text = "\n".join(exc.value.messages)
    assert "entry 2 (NEW2): their_isa_id: ISA sender ZZ/DUP also used by entry 1" in text
    assert "entry 3: their_isa_id: ISA sender ZZ/TAKEN already belongs to partner OWNER" in text
    assert TradingPartner.objects.count() == 1


def test_missing_and_unknown_keys_are_reported():
    entry = _entry("MISS", "M1")
    del entry["our_isa_id"]
    entry["colour"] = "blue"
    with pytest.raises(PartnerImportError) as exc:
        partners_import(entries=[entry])
    assert "entry 1 (MISS): our_isa_id: required" in exc.value.messages
    assert "entry 1 (MISS): unknown key 'colour'" in exc.value.messages


def test_file_that_is_not_a_list_is_rejected():
    with pytest.raises(PartnerImportError):
        partners_import(entries={"code": "X"})
