"""File storage that never exposes a partial file and survives a crash once ``save`` returns."""

from __future__ import annotations

import os
import tempfile

from django.core.files.storage import FileSystemStorage


def fsync_directory(directory: str) -> None:
    """Make a directory entry (a new or renamed file) durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class DurableFileSystemStorage(FileSystemStorage):
    """``FileSystemStorage`` whose saves are atomic, create-only and durable.

    The bytes go to a temporary file in the target directory, are fsynced, and are then
    hard-linked to the final name (``os.link`` refuses an existing name, so nothing is ever
    overwritten) before the directory is fsynced. A crash leaves either no file or the whole
    file under its name — never a truncated one that a later "already stored" check would
    trust. Raw inbound files must be durable before the database row that points at them.
    """

    def _save(self, name, content):
        full_path = self.path(name)
        directory = os.path.dirname(full_path)
        os.makedirs(directory, exist_ok=True)
        fd, tmp_path = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as tmp:
                for chunk in content.chunks():
                    tmp.write(chunk if isinstance(chunk, bytes) else chunk.encode())
                tmp.flush()
                os.fsync(tmp.fileno())
            while True:
                try:
                    os.link(tmp_path, full_path)
                    break
                except FileExistsError:
                    name = self.get_available_name(name)
                    full_path = self.path(name)
        finally:
            os.unlink(tmp_path)
        fsync_directory(os.path.dirname(full_path))
        if self.file_permissions_mode is not None:
            os.chmod(full_path, self.file_permissions_mode)
        return os.path.relpath(full_path, self.location).replace("\\", "/")
