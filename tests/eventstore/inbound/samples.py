"""Synthetic inbound X12 samples and fixtures shared by the inbound tests (no real data)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import override_settings

from eventstore.inbound.hooks import _handlers
from tests.factories import TradingPartnerFactory

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "inbound"
SENDER = "SYNTHSENDER"
RECEIVER = "EDIPLATFORM"


def sample(
    name: str = "834_valid.x12",
    *,
    isa13: str | None = None,
    sender: str | None = None,
    ack_requested: str | None = None,
    receiver: str | None = None,
    extra: str = "",
) -> bytes:
    """A fixture file with its ISA13 / sender / ISA14 / receiver swapped (widths kept)."""
    text = (FIXTURES / name).read_text()
    isa, rest = text.split("\n", 1)
    parts = isa.split("*")
    if isa13 is not None:
        parts[13] = isa13
        rest = rest.replace(text.split("IEA*1*")[1].split("~")[0], isa13)
    if sender is not None:
        parts[6] = f"{sender:<15}"
        rest = rest.replace(SENDER, sender)
    if receiver is not None:
        parts[8] = f"{receiver:<15}"
    if ack_requested is not None:
        parts[14] = ack_requested
    if extra:
        rest = rest.replace("SE*", extra + "SE*", 1)
    return ("*".join(parts) + "\n" + rest).encode()


def many_sets(count: int, **swaps: str) -> bytes:
    """One group of ``count`` 834 sets (ST02 0001...), each a copy of the valid sample's set."""
    text = sample(**swaps).decode()
    start, end = text.index("ST*834"), text.index("GE*")
    body = text[start:end]
    sets = "".join(body.replace("0001", f"{n:04d}") for n in range(1, count + 1))
    return (text[:start] + sets + text[end:]).replace("GE*1*", f"GE*{count}*").encode()


def two_sets_one_bad() -> bytes:
    """One group with two 834 sets: the first valid, the second with an invalid DMG date."""
    text = sample().decode()
    st_start = text.index("ST*834")
    se_end = text.index("GE*")
    body = text[st_start:se_end]
    bad = body.replace("0001", "0002").replace("DMG*D8*19800101", "DMG*D8*19801340")
    text = text[:se_end] + bad + text[se_end:]
    return text.replace("GE*1*", "GE*2*").encode()


@pytest.fixture
def inbound_storage(tmp_path):
    """The "inbound" storage (and the inbox) in a temporary directory."""
    root = tmp_path / "inbound-storage"
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        "inbound": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root)},
        },
        "outbound": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "outbound-storage")},
        },
    }
    with override_settings(STORAGES=storages, INBOUND_INBOX_DIR=inbox):
        yield root


def onboard_partner(**overrides):
    """The trading partner that sends the synthetic samples (TA1 on request)."""
    fields = dict(
        code="SYNTH",
        their_isa_qualifier="ZZ",
        their_isa_id=SENDER,
        their_gs_code=SENDER,
        our_isa_qualifier="ZZ",
        our_isa_id=RECEIVER,
    )
    fields.update(overrides)
    return TradingPartnerFactory(**fields)


@pytest.fixture
def clean_handlers():
    """Handlers registered by a test are removed afterwards (apps' own ones are restored)."""
    saved = dict(_handlers)
    _handlers.clear()
    yield _handlers
    _handlers.clear()
    _handlers.update(saved)


def routing_of(batch) -> dict[str, tuple[str, str]]:
    """Each set of ``batch`` by ST02: (routing status, routing result)."""
    from eventstore.models import TransactionHeader

    rows = TransactionHeader.objects.filter(batch=batch)
    return {
        st02: (s, r) for st02, s, r in rows.values_list("st02", "routing_status", "routing_result")
    }
