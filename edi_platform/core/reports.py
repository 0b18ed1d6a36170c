"""The report registry: every admin report is one entry here, listed on one page.

An app registers its reports from its ``AppConfig.ready()`` (by importing its ``reports``
module, which calls :func:`register_report`). Two kinds:

* a *table* report gives ``build(request) -> (header, rows)``; this module serves it at
  ``/admin/reports/<slug>/`` (the first 500 rows as a page, all of them as CSV with
  ``?format=csv``); a row's datetimes are shown in UTC to the second (ISO 8601 in the CSV),
  so builders return them as datetimes, never as formatted text;
* a *page* report is a custom admin page of its own (``url_name``, e.g. the gap report with
  its filters); it is only listed here, and its own view checks its permissions.

Every report names the permissions needed to see it (all of them): the index lists only
what the user may open, and the table view checks them before anything, CSV included.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from .adminkit import csv_response

__all__ = [
    "Report",
    "register_report",
    "report_get",
    "report_url",
    "reports_for",
    "urlpatterns",
]

PAGE_ROWS = 500

Builder = Callable[[HttpRequest], tuple[Sequence[str], Iterable[Sequence[Any]]]]


@dataclass(frozen=True)
class Report:
    slug: str
    title: str
    section: str  # where it is listed: "Event store", "Control numbers", "Outbound", ...
    permissions: tuple[str, ...]  # all needed (a PHI report includes the PHI permission)
    build: Builder | None = None  # a table report
    url_name: str = ""  # a page report: the admin URL name of its own view
    description: str = ""

    def __post_init__(self) -> None:
        if (self.build is None) == (not self.url_name):
            raise ValueError(f"report {self.slug}: give exactly one of build or url_name")

    def visible_to(self, user: Any) -> bool:
        return bool(user.is_active and user.is_staff and user.has_perms(self.permissions))


_lock = threading.Lock()
_reports: dict[str, Report] = {}


def register_report(report: Report) -> Report:
    """Add (or replace, by slug) a report."""
    with _lock:
        _reports[report.slug] = report
    return report


def report_get(slug: str) -> Report | None:
    return _reports.get(slug)


def reports_for(user: Any) -> list[Report]:
    """The reports ``user`` may open, by section then title."""
    return sorted(
        (r for r in _reports.values() if r.visible_to(user)), key=lambda r: (r.section, r.title)
    )


def report_url(report: Report) -> str:
    if report.url_name:
        return reverse(report.url_name)
    return reverse("reports:report", args=[report.slug])


def page_cell(value: Any) -> Any:
    """A report value for people: times in UTC to the second, dates as YYYY-MM-DD."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else value


def csv_cell(value: Any) -> Any:
    """A report value in CSV: times as ISO 8601 UTC to the second (``...T10:00:00Z``)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else value


def _csv_query(request: HttpRequest) -> str:
    query = request.GET.copy()
    query["format"] = "csv"
    return query.urlencode()


def index_view(request: HttpRequest) -> TemplateResponse:
    from django.contrib import admin

    reports = reports_for(request.user)
    if not reports:
        raise PermissionDenied
    sections: dict[str, list[tuple[Report, str]]] = {}
    for report in reports:
        sections.setdefault(report.section, []).append((report, report_url(report)))
    context = {
        **admin.site.each_context(request),
        "title": "Reports",
        "sections": sorted(sections.items()),
    }
    return TemplateResponse(request, "admin/reports/index.html", context)


def report_view(request: HttpRequest, slug: str) -> HttpResponse:
    from django.contrib import admin
    from django.shortcuts import redirect

    report = report_get(slug)
    if report is None:
        raise Http404("no such report")
    if not report.visible_to(request.user):
        raise PermissionDenied  # before anything is built: the CSV too
    if report.url_name:
        return redirect(report.url_name)
    assert report.build is not None
    header, rows = report.build(request)
    if request.GET.get("format") == "csv":
        return csv_response(
            f"{slug}-{timezone.now():%Y%m%dT%H%M%S}.csv",
            header,
            ([csv_cell(v) for v in row] for row in rows),
        )
    shown = []
    for row in rows:
        shown.append([page_cell(v) for v in row])
        if len(shown) == PAGE_ROWS:
            break
    context = {
        **admin.site.each_context(request),
        "title": report.title,
        "report": report,
        "header": header,
        "rows": shown,
        "truncated": len(shown) == PAGE_ROWS,
        "csv_url": f"?{_csv_query(request)}",
        "index_url": reverse("reports:index"),
    }
    return TemplateResponse(request, "admin/reports/report.html", context)


def urlpatterns() -> list[Any]:
    """URL patterns for the project's ``urls.py`` (``include((urlpatterns(), "reports"))``),
    each view behind the admin login."""
    from django.contrib import admin
    from django.urls import path

    view = admin.site.admin_view
    return [
        path("", view(index_view), name="index"),
        path("<slug:slug>/", view(report_view), name="report"),
    ]
