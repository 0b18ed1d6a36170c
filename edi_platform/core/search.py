"""The journey search: one box in the admin header that finds anything an analyst is given.

A partner calls about "our file 000004711", "group 12", "set 0042", "the file we sent
yesterday", "claim PCN-88" or "trace 998877": whatever they quote, the search box finds it.
The console knows no app: each registers its sources from its ``AppConfig.ready()`` with
:func:`register_search` — what it finds (a title), the permissions needed to see its hits
(all of them; a source whose hits carry PHI names the PHI permission) and
``find(query) -> hits``. Inbound finds batches and sets, outbound finds the files it sent
and the outcomes it owes, eligibility finds trace numbers, and a new responder (277CA, 835)
adds its own source beside them without touching this module.

The query is read once (:class:`SearchQuery`): the text, the number it is when it is one
(ASCII digits only), and whether it looks like a sha256 prefix. Each source answers at most
``limit`` hits; a source that fails is reported as such, never an error page.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.template.response import TemplateResponse

from edi_platform.x12.logsafe import exception_summary

from .params import int_param

__all__ = [
    "SearchHit",
    "SearchQuery",
    "SearchSource",
    "register_search",
    "search",
    "search_view",
    "sources_for",
]

logger = logging.getLogger(__name__)

MAX_QUERY = 200
LIMIT = 25
_SHA_PREFIX = re.compile(r"^[0-9a-f]{6,64}$")


@dataclass(frozen=True)
class SearchQuery:
    text: str  # stripped, at most MAX_QUERY characters
    limit: int = LIMIT

    @property
    def number(self) -> int | None:
        """The text as a number (1-18 ASCII digits; leading zeros allowed), else None."""
        return int_param(self.text)

    @property
    def control_number(self) -> bool:
        """1-9 digits: what a control number (ISA13, GS06, ST02) looks like. Sources then
        look the number up and skip the scans a number rarely means (file names, sha256)."""
        return self.number is not None and len(self.text) <= 9

    @property
    def sha256_prefix(self) -> str | None:
        """The text as the start of a sha256 (6+ hex digits, lower case), else None."""
        lowered = self.text.lower()
        return lowered if _SHA_PREFIX.match(lowered) else None


@dataclass(frozen=True)
class SearchHit:
    kind: str  # "Inbound file", "Transaction set", "Outbound file", ...
    label: str
    url: str
    detail: str = ""
    when: datetime | None = None
    matched: str = ""  # what matched: "ISA13", "file name", "sha256", ...


@dataclass(frozen=True)
class SearchSource:
    slug: str
    title: str
    permissions: tuple[str, ...]
    find: Callable[[SearchQuery], Iterable[SearchHit]]
    order: int = 100
    help: str = ""  # what this source matches, for the results page

    def visible_to(self, user: Any) -> bool:
        return bool(user.is_active and user.is_staff and user.has_perms(self.permissions))


_lock = threading.Lock()
_sources: dict[str, SearchSource] = {}


def register_search(source: SearchSource) -> SearchSource:
    """Add (or replace, by slug) a search source."""
    with _lock:
        _sources[source.slug] = source
    return source


def sources_for(user: Any) -> list[SearchSource]:
    return sorted(
        (s for s in _sources.values() if s.visible_to(user)), key=lambda s: (s.order, s.slug)
    )


@dataclass
class SourceResult:
    source: SearchSource
    hits: list[SearchHit] = field(default_factory=list)
    error: str = ""
    truncated: bool = False


def search(user: Any, text: str, *, limit: int = LIMIT) -> list[SourceResult]:
    """Ask every source ``user`` may see; the sources with hits (or an error), in order."""
    query = SearchQuery(text=(text or "").strip()[:MAX_QUERY], limit=limit)
    if not query.text:
        return []
    out = []
    for source in sources_for(user):
        try:
            hits = list(source.find(query))
        except Exception as exc:  # one source must not take the page down
            logger.error("search source %s failed: %s", source.slug, exception_summary(exc))
            out.append(SourceResult(source=source, error=type(exc).__name__))
            continue
        if hits:
            out.append(SourceResult(source=source, hits=hits[:limit], truncated=len(hits) > limit))
    return out


def search_view(request: HttpRequest) -> TemplateResponse:
    """``/admin/search/?q=``: the results page (behind the admin login; each source checks
    its permissions, and a user who may see no source is refused)."""
    from django.contrib import admin

    sources = sources_for(request.user)
    if not sources:
        raise PermissionDenied
    text = (request.GET.get("q") or "").strip()[:MAX_QUERY]
    results = search(request.user, text) if text else []
    context = {
        **admin.site.each_context(request),
        "title": f"Search: {text}" if text else "Search",
        "query": text,
        "results": results,
        "hit_count": sum(len(r.hits) for r in results),
        "sources": sources,
    }
    return TemplateResponse(request, "admin/console/search.html", context)
