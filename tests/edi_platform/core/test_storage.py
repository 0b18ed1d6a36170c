"""DurableFileSystemStorage: whole files under their final name, never overwritten."""

from __future__ import annotations

import io

from django.core.files import File
from django.core.files.base import ContentFile

from edi_platform.core.storage import DurableFileSystemStorage


def test_save_writes_the_whole_file_and_leaves_no_temporary_file(tmp_path):
    storage = DurableFileSystemStorage(location=str(tmp_path))
    data = b"ISA*" + b"x" * (3 << 20)  # several chunks
    name = storage.save("inbound/partner=P/date=2026-01-01/abc_file.x12", ContentFile(data))
    assert name == "inbound/partner=P/date=2026-01-01/abc_file.x12"
    assert (tmp_path / name).read_bytes() == data
    leftovers = [p.name for p in (tmp_path / name).parent.iterdir() if p.name != "abc_file.x12"]
    assert leftovers == []


def test_existing_name_is_never_overwritten(tmp_path):
    storage = DurableFileSystemStorage(location=str(tmp_path))
    first = storage.save("out/file.edi", ContentFile(b"first"))
    second = storage.save("out/file.edi", File(io.BytesIO(b"second"), name="file.edi"))
    assert first == "out/file.edi" and second != first
    assert (tmp_path / first).read_bytes() == b"first"
    assert (tmp_path / second).read_bytes() == b"second"


def test_inbound_and_outbound_storages_are_durable():
    from django.core.files.storage import storages

    assert isinstance(storages["inbound"], DurableFileSystemStorage)
    assert isinstance(storages["outbound"], DurableFileSystemStorage)
