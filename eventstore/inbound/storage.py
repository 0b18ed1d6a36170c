"""Raw inbound files in the "inbound" storage: hashed, stored once, read back for reprocessing."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath
from typing import BinaryIO

from django.core.files import File
from django.core.files.storage import Storage, storages
from django.utils.text import get_valid_filename

CHUNK = 1 << 20
HEAD_BYTES = 4096  # enough for the ISA (106 bytes) after a BOM or blank lines
UNKNOWN_PARTNER_DIR = "_unknown"

Opener = Callable[[], BinaryIO]


def inbound_storage() -> Storage:
    """The storage configured as ``STORAGES["inbound"]``."""
    return storages["inbound"]


@dataclass(frozen=True)
class Fingerprint:
    """What one pass over the bytes tells: digest, size and the first bytes (for the ISA)."""

    sha256: str
    size: int
    head: bytes


def fingerprint(opener: Opener) -> Fingerprint:
    """Hash a source in one streaming pass (bounded memory, whatever its size)."""
    digest = hashlib.sha256()
    size = 0
    head = b""
    with opener() as stream:
        while True:
            block = stream.read(CHUNK)
            if not block:
                break
            if len(head) < HEAD_BYTES:
                head += block[: HEAD_BYTES - len(head)]
            digest.update(block)
            size += len(block)
    return Fingerprint(digest.hexdigest(), size, head)


def safe_file_name(name: str) -> str:
    """The last path component of ``name``, reduced to characters safe in a storage key."""
    base = PurePosixPath(str(name).replace("\\", "/")).name or "file"
    cleaned = get_valid_filename(base) if base.strip(". ") else "file"
    return cleaned[:120] or "file"


def raw_path(*, partner_code: str | None, received_at: datetime, sha256: str, name: str) -> str:
    """``inbound/partner=P/date=YYYY-MM-DD/<sha256>_<original name>`` (P = ``_unknown``)."""
    partner = partner_code or UNKNOWN_PARTNER_DIR
    return f"inbound/partner={partner}/date={received_at:%Y-%m-%d}/{sha256}_{safe_file_name(name)}"


def raw_store(*, opener: Opener, path: str) -> str:
    """Copy the source to ``path`` in the inbound storage unless it is already there.

    The name embeds the sha256, so an existing object at that name holds the same bytes
    (written by an earlier ingest or by a concurrent process): it is kept as is. When two
    processes race, the storage may give the second copy another name; that copy is removed
    and the canonical name is returned.
    """
    storage = inbound_storage()
    if storage.exists(path):
        return path
    with opener() as stream:
        saved = storage.save(path, File(stream, name=path))
    if saved != path:
        storage.delete(saved)
    return path


def raw_open(path: str) -> BinaryIO:
    """Open a stored raw file for reading (binary)."""
    return inbound_storage().open(path, "rb")


_background: tuple[int, ThreadPoolExecutor] | None = None


def raw_store_in_background(*, opener: Opener, path: str) -> Future[str]:
    """:func:`raw_store` in this process's helper thread (created on first use, and again
    after a fork: a forked child does not inherit the parent's threads); the caller waits
    for the result before it commits anything that names the copy."""
    global _background
    pid = os.getpid()
    if _background is None or _background[0] != pid:
        _background = (pid, ThreadPoolExecutor(max_workers=2, thread_name_prefix="raw-store"))
    return _background[1].submit(raw_store, opener=opener, path=path)
