"""factory_boy factories shared by the test suite."""

from __future__ import annotations

import factory

from edi_platform.partners.models import TradingPartner


class TradingPartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TradingPartner
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"TP{n:04d}")
    name = factory.LazyAttribute(lambda o: f"Partner {o.code}")
    active = True
    their_isa_qualifier = "ZZ"
    their_isa_id = factory.LazyAttribute(lambda o: f"S{o.code}")
    our_isa_qualifier = "ZZ"
    our_isa_id = "EDIPLATFORM"
    their_gs_code = factory.LazyAttribute(lambda o: f"S{o.code}")
    our_gs_code = "EDIPLATFORM"
    usage_indicator = "P"
    ta1_policy = "on_request"


class ControlNumberCounterFactory(factory.django.DjangoModelFactory):
    """A control-number counter (partner-wide ISA by default)."""

    class Meta:
        model = "controlnumbers.ControlNumberCounter"
        django_get_or_create = ("partner_code", "transaction_type", "counter_type")

    partner_code = "PARTNERA"
    transaction_type = "*"
    counter_type = "ISA"
    current_value = 0


class TransactionBatchFactory(factory.django.DjangoModelFactory):
    """A registered inbound file (no raw copy is stored: for tests of rows only)."""

    class Meta:
        model = "eventstore.TransactionBatch"

    original_name = factory.Sequence(lambda n: f"file{n:04d}.x12")
    sha256 = factory.Sequence(lambda n: f"{n:064x}")
    size = 100
    storage_path = factory.LazyAttribute(lambda o: f"inbound/test/{o.sha256}")
    status = "ACCEPTED"


class TransactionHeaderFactory(factory.django.DjangoModelFactory):
    """One transaction set of a batch."""

    class Meta:
        model = "eventstore.TransactionHeader"

    batch = factory.SubFactory(TransactionBatchFactory)
    st01 = "837"
    st02 = factory.Sequence(lambda n: f"{n:04d}")
    routing_status = "NO_HANDLER"
