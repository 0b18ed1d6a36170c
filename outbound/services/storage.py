"""Create-only, atomic writes to the "outbound" storage, and the partitioned path layout."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import time
from datetime import datetime
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage, storages

QUARANTINE_PREFIX = "outbound/_quarantine"


class StorageConflict(Exception):
    """A different file already exists at the path (we never overwrite)."""


def outbound_storage() -> Storage:
    """The configured "outbound" storage (``settings.STORAGES["outbound"]``)."""
    return storages["outbound"]


def file_name_for(*, partner_code: str, transaction_type: str, isa13: int, stamp: datetime) -> str:
    """``<CODE>_<TYPE>_<ISA13 9 digits>_<YYYYMMDDTHHMMSSZ>.edi`` (stamp must be UTC)."""
    return f"{partner_code}_{transaction_type}_{isa13:09d}_{stamp.strftime('%Y%m%dT%H%M%SZ')}.edi"


def storage_path_for(
    *,
    partner_code: str,
    transaction_type: str,
    isa13: int,
    stamp: datetime,
    quarantine: bool = False,
) -> str:
    """The partitioned relative path of an outbound file (or its quarantine twin)."""
    root = QUARANTINE_PREFIX if quarantine else "outbound"
    name = file_name_for(
        partner_code=partner_code, transaction_type=transaction_type, isa13=isa13, stamp=stamp
    )
    return (
        f"{root}/partner={partner_code}/transaction={transaction_type}/"
        f"date={stamp.strftime('%Y-%m-%d')}/{name}"
    )


def sha256_hex(data: bytes) -> str:
    """Hex SHA-256 of ``data`` (stored on the file row; compared before any overwrite)."""
    return hashlib.sha256(data).hexdigest()


def read_bytes(path: str, storage: Storage | None = None) -> bytes | None:
    """The stored bytes at ``path``, or None when nothing is there."""
    storage = storage or outbound_storage()
    if not storage.exists(path):
        return None
    with storage.open(path, "rb") as fh:
        return fh.read()


def write_create_only(path: str, data: bytes, storage: Storage | None = None) -> bool:
    """Write ``data`` at ``path`` once: never overwrite, never expose a partial file.

    Returns True when this call created the file, False when the very same bytes were
    already there (a crash after the write, or a concurrent rebuild: both are fine).
    Raises :class:`StorageConflict` when different bytes are already stored at ``path``.

    On a local file system the bytes go to a temporary file in the target directory, are
    fsynced, then hard-linked to the final name: ``os.link`` fails if the name exists, so
    two writers can never clobber each other and readers only ever see complete files.
    """
    storage = storage or outbound_storage()
    if isinstance(storage, FileSystemStorage):
        return _write_local(Path(storage.path(path)), data)
    # Object stores (S3/Azure) have no rename: check first, then a single PUT of the whole
    # object (atomic for readers). The check-then-put race is covered by the sha comparison.
    existing = read_bytes(path, storage)
    if existing is not None:
        return _same_or_conflict(existing, data, path)
    saved = storage.save(path, ContentFile(data))
    if saved != path:  # the storage picked another name: the path got taken meanwhile
        storage.delete(saved)
        return _same_or_conflict(read_bytes(path, storage) or b"", data, path)
    return True


def _same_or_conflict(existing: bytes, data: bytes, path: str) -> bool:
    if sha256_hex(existing) == sha256_hex(data):
        return False
    raise StorageConflict(f"a different file already exists at {path}")


def _write_local(target: Path, data: bytes) -> bool:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, target)
        except FileExistsError:
            return _same_or_conflict(target.read_bytes(), data, str(target.name))
        _fsync_dir(target.parent)
        return True
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _fsync_dir(directory: Path) -> None:
    # Makes the new directory entry durable (a crash right after must not lose the link).
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def remove_stale_temp_files(
    directory: str, *, older_than_seconds: float, storage: Storage | None = None
) -> int:
    """Delete temporary files a killed writer left in ``directory`` (a storage-relative
    folder), if older than ``older_than_seconds``. Returns how many were removed.

    Only local storages have them (object stores get whole-object PUTs).
    """
    storage = storage or outbound_storage()
    if not isinstance(storage, FileSystemStorage):
        return 0
    folder = Path(storage.path(directory))
    if not folder.is_dir():
        return 0
    removed = 0
    limit = time.time() - older_than_seconds
    for temp in folder.glob(".tmp-*.part"):
        with contextlib.suppress(FileNotFoundError):
            if temp.stat().st_mtime <= limit:
                temp.unlink()
                removed += 1
    return removed
