"""The home dashboard (the admin index): tiles that the apps register, rendered by one page.

The console knows no app. Each app registers its tiles from its ``AppConfig.ready()`` with
:func:`register_tile`: a title, where it goes, the permissions a user needs to see it (all
of them), and ``build(ctx)`` returning a :class:`Panel` — headline figures, small tables,
bar charts and alerts, where every number carries the URL of the filtered list behind it.
The page collects every visible tile's alerts into one strip at the top (breaches first),
then shows the tiles in order. A tile that fails is shown as "could not be computed" (the
error is logged by class), never an error page.

Charts are inline SVG drawn here (no CDN, no front-end build): a bar per hour or bucket,
each bar a link when it has one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from edi_platform.x12.logsafe import exception_summary

__all__ = [
    "LEVELS",
    "Alert",
    "Bar",
    "Cell",
    "Chart",
    "DashboardContext",
    "Figure",
    "Hours",
    "Panel",
    "Table",
    "Tile",
    "chart_svg",
    "dashboard_for",
    "register_tile",
    "tiles",
    "time_param",
    "top_rows",
]

logger = logging.getLogger(__name__)

# "" neutral, "ok" green, "warn" orange, "bad" red (alerts sort bad first)
LEVELS = ("bad", "warn", "ok", "")


@dataclass(frozen=True)
class Cell:
    """One table cell: its text, the list behind it (``url``) and a level colour."""

    text: Any
    url: str = ""
    level: str = ""
    title: str = ""


@dataclass(frozen=True)
class Figure:
    """A headline number with the filtered list behind it."""

    label: str
    value: Any
    url: str = ""
    level: str = ""
    note: str = ""


@dataclass(frozen=True)
class Alert:
    """Something open that needs a person (shown in the top strip of the page)."""

    level: str  # "bad" or "warn"
    text: str
    url: str = ""
    count: int | None = None


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    url: str = ""
    level: str = ""
    title: str = ""


@dataclass(frozen=True)
class Chart:
    """Bars (left to right), drawn as inline SVG; every ``label_every``-th label shown."""

    title: str
    bars: Sequence[Bar]
    unit: str = ""
    label_every: int = 1


@dataclass(frozen=True)
class Table:
    header: Sequence[str]
    rows: Sequence[Sequence[Cell]]
    caption: str = ""
    empty: str = "Nothing to show."
    more_url: str = ""
    more_text: str = ""


@dataclass
class Panel:
    """What a tile shows."""

    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    note: str = ""


@dataclass(frozen=True)
class DashboardContext:
    """What every tile's ``build`` receives: the request and one clock for the page."""

    request: HttpRequest
    now: datetime

    @property
    def today(self) -> datetime:
        """Midnight (UTC) today."""
        return self.now.replace(hour=0, minute=0, second=0, microsecond=0)

    @property
    def week(self) -> datetime:
        """Midnight (UTC) six days ago: today and the six days before it."""
        return self.today - timedelta(days=6)

    @property
    def user(self) -> Any:
        return self.request.user


@dataclass(frozen=True)
class Tile:
    slug: str
    title: str
    order: int  # lower first
    permissions: tuple[str, ...]  # all needed to see the tile
    build: Callable[[DashboardContext], Panel]
    wide: bool = False  # the whole width of the page (else half)

    def visible_to(self, user: Any) -> bool:
        return bool(user.is_active and user.is_staff and user.has_perms(self.permissions))


_lock = threading.Lock()
_tiles: dict[str, Tile] = {}


def register_tile(tile: Tile) -> Tile:
    """Add (or replace, by slug) a tile of the home dashboard."""
    with _lock:
        _tiles[tile.slug] = tile
    return tile


def tiles() -> list[Tile]:
    return sorted(_tiles.values(), key=lambda t: (t.order, t.slug))


@dataclass
class RenderedTile:
    tile: Tile
    panel: Panel | None
    error: str = ""
    ms: float = 0.0
    charts: list[SafeString] = field(default_factory=list)


@dataclass
class Dashboard:
    tiles: list[RenderedTile]
    alerts: list[Alert]
    now: datetime


def dashboard_for(request: HttpRequest, *, now: datetime | None = None) -> Dashboard:
    """Build every tile ``request.user`` may see (one clock for the whole page)."""
    ctx = DashboardContext(request=request, now=now or timezone.now())
    rendered: list[RenderedTile] = []
    alerts: list[Alert] = []
    for tile in tiles():
        if not tile.visible_to(request.user):
            continue
        started = time.perf_counter()
        try:
            panel = tile.build(ctx)
        except Exception as exc:  # one tile must not take the page down
            logger.error("dashboard tile %s failed: %s", tile.slug, exception_summary(exc))
            rendered.append(RenderedTile(tile=tile, panel=None, error=type(exc).__name__))
            continue
        item = RenderedTile(
            tile=tile,
            panel=panel,
            ms=(time.perf_counter() - started) * 1000,
            charts=[chart_svg(c) for c in panel.charts],
        )
        rendered.append(item)
        alerts.extend(panel.alerts)
    alerts.sort(key=lambda a: (LEVELS.index(a.level) if a.level in LEVELS else 9, a.text))
    return Dashboard(tiles=rendered, alerts=alerts, now=ctx.now)


_COLOURS = {"bad": "#c62828", "warn": "#ef6c00", "ok": "#2e7d32", "": "#417690"}
CHART_WIDTH, CHART_HEIGHT, LABEL_SPACE = 560, 120, 16


def chart_svg(chart: Chart) -> SafeString:
    """The chart as an inline SVG (bars, a baseline, the maximum and sparse labels)."""
    bars = list(chart.bars)
    if not bars:
        return format_html('<p class="chart-empty">{}: nothing to show.</p>', chart.title)
    top = max(max(b.value for b in bars), 1)
    step = CHART_WIDTH / len(bars)
    width = max(step - 2, 1)
    parts = []
    for i, bar in enumerate(bars):
        height = round(bar.value / top * (CHART_HEIGHT - 4), 1)
        x = round(i * step + 1, 1)
        y = round(CHART_HEIGHT - height, 1)
        tooltip = bar.title or f"{bar.label}: {bar.value}{chart.unit}"
        rect = format_html(
            '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}</title></rect>',
            x,
            y,
            round(width, 1),
            max(height, 0.5 if bar.value else 0),
            _COLOURS.get(bar.level, _COLOURS[""]),
            tooltip,
        )
        parts.append(format_html('<a href="{}">{}</a>', bar.url, rect) if bar.url else rect)
        if chart.label_every and i % chart.label_every == 0:
            parts.append(
                format_html(
                    '<text x="{}" y="{}" font-size="10" fill="#666">{}</text>',
                    x,
                    CHART_HEIGHT + 12,
                    bar.label,
                )
            )
    body = mark_safe("".join(parts))
    return format_html(
        '<figure class="console-chart"><figcaption>{} <span class="quiet">(max {}{})'
        "</span></figcaption>"
        '<svg role="img" aria-label="{}" viewBox="0 0 {} {}" width="100%" '
        'style="max-width:{}px">'
        '<line x1="0" y1="{}" x2="{}" y2="{}" stroke="#ccc"/>{}</svg></figure>',
        chart.title,
        top,
        chart.unit,
        chart.title,
        CHART_WIDTH,
        CHART_HEIGHT + LABEL_SPACE,
        CHART_WIDTH,
        CHART_HEIGHT,
        CHART_WIDTH,
        CHART_HEIGHT,
        body,
    )


TABLE_ROWS = 12  # a tile's table shows this many rows; "more" opens the whole list


def time_param(value: datetime) -> str:
    """A datetime as a list filter parameter (``received_at__gte=...``), UTC."""
    return value.strftime("%Y-%m-%d %H:%M:%S+00:00")


@dataclass(frozen=True)
class Hours:
    """The last 24 whole hours of ``ctx`` (UTC), oldest first."""

    start: datetime

    @classmethod
    def of(cls, ctx: DashboardContext) -> Hours:
        return cls(start=ctx.now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=23))

    def chart(
        self, title: str, counts: dict[datetime, int], url: Callable[[str, str], str], noun: str
    ) -> Chart:
        """One bar per hour; ``url(since, until)`` opens the list of that hour."""
        bars = []
        for i in range(24):
            hour = self.start + timedelta(hours=i)
            n = counts.get(hour, 0)
            bars.append(
                Bar(
                    label=f"{hour:%H}h",
                    value=n,
                    title=f"{hour:%Y-%m-%d %H}:00–:59 UTC: {n} {noun}",
                    url=url(time_param(hour), time_param(hour + timedelta(hours=1))),
                )
            )
        return Chart(title, bars, label_every=3)


def top_rows(rows: Sequence[Any], *, more: str, noun: str) -> tuple[list[Any], str, str]:
    """The first :data:`TABLE_ROWS` rows, and the "more" link (URL, text) when cut."""
    if len(rows) <= TABLE_ROWS:
        return list(rows), "", ""
    return list(rows[:TABLE_ROWS]), more, f"{len(rows) - TABLE_ROWS} more {noun}: open the list"


def cells(*values: Any) -> list[Cell]:
    """A row of plain cells (a tile's convenience)."""
    return [v if isinstance(v, Cell) else Cell(v) for v in values]


def join_links(items: Sequence[tuple[str, str]]) -> SafeString:
    """``(url, text)`` pairs as links separated by middots."""
    return format_html_join(" · ", '<a href="{}">{}</a>', items)
