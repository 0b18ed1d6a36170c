"""Create-only, atomic writes and the partitioned path layout."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from outbound.services.storage import (
    StorageConflict,
    storage_path_for,
    write_create_only,
)

PATH_RE = re.compile(
    r"^outbound/partner=(?P<p>[A-Z0-9-]+)/transaction=(?P<t>[A-Z0-9]+)/date=\d{4}-\d{2}-\d{2}/"
    r"(?P=p)_(?P=t)_\d{9}_\d{8}T\d{6}Z\.edi$"
)


def test_path_is_partitioned_by_partner_type_and_date_with_the_documented_name():
    stamp = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
    path = storage_path_for(partner_code="ACME-1", transaction_type="999", isa13=42, stamp=stamp)
    assert path == (
        "outbound/partner=ACME-1/transaction=999/date=2026-03-04/"
        "ACME-1_999_000000042_20260304T050607Z.edi"
    )
    assert PATH_RE.match(path)


def test_quarantine_path_lives_under_the_quarantine_prefix():
    stamp = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
    path = storage_path_for(
        partner_code="ACME", transaction_type="TA1", isa13=7, stamp=stamp, quarantine=True
    )
    assert path.startswith("outbound/_quarantine/partner=ACME/transaction=TA1/date=2026-03-04/")


def test_write_creates_the_file_once_and_tolerates_the_same_bytes_again(outbound_root):
    path = "outbound/partner=A/transaction=999/date=2026-01-01/x.edi"
    assert write_create_only(path, b"ISA~") is True
    assert write_create_only(path, b"ISA~") is False
    assert (outbound_root / path).read_bytes() == b"ISA~"


def test_write_never_overwrites_different_bytes(outbound_root):
    path = "outbound/partner=A/transaction=999/date=2026-01-01/y.edi"
    write_create_only(path, b"first~")
    with pytest.raises(StorageConflict):
        write_create_only(path, b"second~")
    assert (outbound_root / path).read_bytes() == b"first~"


def test_write_leaves_no_temporary_file_behind(outbound_root):
    path = "outbound/partner=A/transaction=999/date=2026-01-01/z.edi"
    write_create_only(path, b"data~")
    write_create_only(path, b"data~")
    names = sorted(p.name for p in (outbound_root / path).parent.iterdir())
    assert names == ["z.edi"]
