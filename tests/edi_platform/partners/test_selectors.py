"""Reads of the partner registry."""

from __future__ import annotations

import pytest

from edi_platform.partners.models import TradingPartner
from edi_platform.partners.selectors import partner_by_id
from tests.factories import TradingPartnerFactory

pytestmark = pytest.mark.django_db


def test_a_partner_by_id_is_the_row_as_the_orm_reads_it_field_by_field():
    TradingPartnerFactory()
    made = TradingPartnerFactory(name="SECOND", snip_level=3, code_sets=False, max_sets=7)
    got = partner_by_id(partner_id=made.pk)
    orm = TradingPartner.objects.get(pk=made.pk)
    for field in TradingPartner._meta.concrete_fields:
        value = getattr(got, field.attname)
        assert value == getattr(orm, field.attname), field.name
        assert type(value) is type(getattr(orm, field.attname)), field.name
    assert got.pk == made.pk and not got._state.adding
    # a model like any other: it saves as an update of its row
    got.name = "RENAMED"
    got.save(update_fields=["name"])
    assert TradingPartner.objects.get(pk=made.pk).name == "RENAMED"


def test_a_partner_that_is_not_there_is_does_not_exist():
    with pytest.raises(TradingPartner.DoesNotExist):
        partner_by_id(partner_id=987_654)
