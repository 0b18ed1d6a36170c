"""Partner validation rules: Python messages name the field, the database enforces the rest."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from edi_platform.partners.models import TradingPartner
from tests.factories import TradingPartnerFactory

pytestmark = pytest.mark.django_db


def _errors(partner: TradingPartner) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as exc:
        partner.full_clean()
    return exc.value.message_dict


def test_valid_partner_passes_full_clean():
    TradingPartnerFactory.build(code="GOOD-1").full_clean()


@pytest.mark.parametrize("code", ["lower", "HAS SPACE", "TOO-LONG-CODE-123", "BAD_UNDERSCORE", ""])
def test_bad_partner_code_is_reported_on_the_code_field(code):
    assert "code" in _errors(TradingPartnerFactory.build(code=code))


def test_database_rejects_bad_code_even_without_python_validation():
    with pytest.raises(IntegrityError), transaction.atomic():
        TradingPartnerFactory(code="bad code")


def test_sender_qualifier_and_id_pair_is_unique_in_the_database():
    TradingPartnerFactory(code="ONE", their_isa_qualifier="ZZ", their_isa_id="SAME")
    with pytest.raises(IntegrityError), transaction.atomic():
        TradingPartnerFactory(code="TWO", their_isa_qualifier="ZZ", their_isa_id="SAME")
    # The same ID under another qualifier is a different sender.
    TradingPartnerFactory(code="THREE", their_isa_qualifier="30", their_isa_id="SAME")


def test_duplicate_sender_is_a_validation_error_naming_the_rule():
    TradingPartnerFactory(code="ONE", their_isa_qualifier="ZZ", their_isa_id="SAME")
    errors = _errors(TradingPartnerFactory.build(code="TWO", their_isa_id="SAME"))
    assert any("ISA qualifier and ID" in m for m in errors["__all__"])


def test_unknown_isa_qualifier_names_the_field():
    errors = _errors(TradingPartnerFactory.build(their_isa_qualifier="99"))
    assert "their_isa_qualifier" in errors


def test_isa_id_longer_than_15_characters_is_rejected():
    assert "our_isa_id" in _errors(TradingPartnerFactory.build(our_isa_id="X" * 16))


def test_delimiters_must_be_distinct_single_non_alphanumeric_characters():
    errors = _errors(TradingPartnerFactory.build(component_separator="*"))
    assert "component_separator" in errors
    errors = _errors(TradingPartnerFactory.build(segment_terminator="A"))
    assert "segment_terminator" in errors


def test_database_rejects_equal_delimiters():
    with pytest.raises(IntegrityError), transaction.atomic():
        TradingPartnerFactory(code="DELIM", element_separator="~", segment_terminator="~")


def test_id_containing_a_delimiter_is_rejected():
    assert "their_isa_id" in _errors(TradingPartnerFactory.build(their_isa_id="AB*CD"))


def test_usage_indicator_and_ta1_policy_choices_are_enforced():
    errors = _errors(TradingPartnerFactory.build(usage_indicator="X", ta1_policy="sometimes"))
    assert {"usage_indicator", "ta1_policy"} <= set(errors)
