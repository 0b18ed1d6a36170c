"""What every API view shares: the key's partner scope, PHI access records, raw bodies."""

from __future__ import annotations

import contextlib
import io
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from django.conf import settings
from rest_framework.request import Request
from rest_framework.views import APIView

from api.access import access_record
from api.auth import partner_of
from api.errors import PayloadTooLarge
from edi_platform.partners.models import TradingPartner
from edi_platform.x12.peek import PEEK_BYTES

__all__ = ["ApiView", "Body", "read_body", "spooled_body"]

CHUNK = 1 << 20


class ApiView(APIView):
    partner_allowed = False
    staff_perms: tuple[str, ...] | None = None
    phi_resource = ""  # set on views whose answers carry PHI: one access record per answer

    def partner(self, request: Request) -> TradingPartner | None:
        """The partner of a partner key (every query is limited to it); None for staff."""
        return partner_of(request)

    def record_phi(self, request: Request, *, ids: list[Any], status_code: int = 200) -> None:
        access_record(
            key=request.auth,
            resource=self.phi_resource,
            resource_ids=ids,
            method=request.method or "",
            status_code=status_code,
        )


def read_body(request: Request) -> bytes:
    """The raw request body of a call answered in the same response (a real-time inquiry),
    in memory: at most ``API_SYNC_MAX_BYTES`` (and ``API_MAX_BODY_BYTES``), 413 past it."""
    limit = min(int(settings.API_MAX_BODY_BYTES), int(settings.API_SYNC_MAX_BYTES))
    data = request._request.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"The request body is larger than the limit ({limit} bytes).")
    return data


@dataclass(frozen=True)
class Body:
    """A request body read by :func:`spooled_body`: in memory (``data``) up to the caller's
    limit, else in a temporary file (``path``) that lives as long as the ``with`` block."""

    head: bytes  # the first bytes (enough for the ISA)
    size: int
    data: bytes | None = None
    path: str | None = None

    def open(self) -> BinaryIO:
        """A fresh stream over the whole body (ingest reads it several times, in threads)."""
        return io.BytesIO(self.data) if self.path is None else open(self.path, "rb")


@contextlib.contextmanager
def spooled_body(request: Request, *, keep: int) -> Iterator[Body]:
    """The raw request body: at most ``keep`` bytes are held in memory; a longer body is
    streamed, a chunk at a time, to a temporary file (``FILE_UPLOAD_TEMP_DIR``), deleted when
    the block ends. Past ``API_MAX_BODY_BYTES`` it is 413 (a chunked body declares no
    length, so the middleware cannot refuse it earlier)."""
    limit = int(settings.API_MAX_BODY_BYTES)
    keep = min(keep, limit)
    stream = request._request
    first = stream.read(keep + 1)
    if len(first) <= keep:
        yield Body(head=first[:PEEK_BYTES], size=len(first), data=first)
        return
    head, size = first[:PEEK_BYTES], len(first)
    with tempfile.NamedTemporaryFile(
        prefix="api-body-", dir=settings.FILE_UPLOAD_TEMP_DIR or None
    ) as spool:
        spool.write(first)
        del first  # the one in-memory copy goes before the rest is read
        while chunk := stream.read(CHUNK):
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge(f"The request body is larger than the limit ({limit} bytes).")
            spool.write(chunk)
        spool.flush()
        yield Body(head=head, size=size, path=spool.name)
