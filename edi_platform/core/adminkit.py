"""The admin kit: the pieces every app's admin uses, so each is written once.

* :class:`ReadOnlyAdmin` — rows nobody adds, changes or deletes through the admin (audit
  rows, events, projections, operator records). Append-only tables are read-only here and,
  on PostgreSQL, protected by a trigger too. :class:`RecordAdmin` — records that only
  change through actions (batches, files, outcomes): no add, no delete.
* :func:`confirm_action` — Django's confirmation-page pattern (like ``delete_selected``)
  for admin actions that change state: the first POST renders one template
  (``admin/confirm_action.html``: what will happen, which rows qualify and why the others
  do not, a form for the reason / new value), the second POST (``confirm=yes``) performs the
  action through the service and returns to the list.
* :func:`csv_response` — one streamed CSV download for every table that offers CSV.
* :func:`changelist_url` — the list page of a model (the index when it is not registered).
* :func:`guarded_view` — every custom admin view (report, download, CSV, action page) is
  wrapped by it: the admin login, then the permissions the view needs, checked before the
  view runs (so no branch of the view, a CSV format included, can serve data first).
* :class:`PhiFieldsMixin` — part of every kit admin: the fields the PHI classification
  (:mod:`edi_platform.core.phi`) names are left out for users without its permission.
* :class:`EstimatedCountPaginator` — lists of tables with millions of rows count the
  unfiltered list from PostgreSQL's statistics instead of ``COUNT(*)``;
  :func:`choices_filter` — a list filter whose values come from a registry or a fixed list
  (never ``SELECT DISTINCT`` over a large table).

Reports (tables with CSV) are registered in :mod:`edi_platform.core.reports`.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache, update_wrapper
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils.functional import cached_property

from .phi import phi_fields_hidden_from

__all__ = [
    "CONFIRM_FIELD",
    "ActionRefused",
    "ConfirmRow",
    "EstimatedCountPaginator",
    "PhiFieldsMixin",
    "ReadOnlyAdmin",
    "ReadOnlyInline",
    "ReasonForm",
    "RecordAdmin",
    "change_url",
    "changelist_url",
    "choices_filter",
    "confirm_action",
    "csv_response",
    "guarded_view",
]

CONFIRM_FIELD = "confirm"  # the second POST of a confirmation page carries confirm=yes
CONFIRM_TEMPLATE = "admin/confirm_action.html"


class PhiFieldsMixin:
    """Leave the model's PHI fields (its classification) out of every admin page for users
    without the permission that shows them: list columns, fieldsets, read-only fields."""

    def _phi_hidden(self, request: HttpRequest) -> set[str]:
        return set(phi_fields_hidden_from(request.user, self.model))  # type: ignore[attr-defined]

    def _without(self, names: Sequence[Any], hidden: set[str]) -> list[Any]:
        kept = []
        for name in names:
            if isinstance(name, list | tuple):  # a row of fields on one line
                row = [n for n in name if n not in hidden]
                if row:
                    kept.append(tuple(row))
            elif name not in hidden:
                kept.append(name)
        return kept

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = super().get_fields(request, obj)  # type: ignore[misc]
        hidden = self._phi_hidden(request)
        return self._without(fields, hidden) if hidden else fields

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)  # type: ignore[misc]
        hidden = self._phi_hidden(request)
        if not hidden:
            return fieldsets
        out = []
        for title, options in fieldsets:
            fields = self._without(options.get("fields", ()), hidden)
            if fields:
                out.append((title, {**options, "fields": fields}))
        return out

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = super().get_readonly_fields(request, obj)  # type: ignore[misc]
        hidden = self._phi_hidden(request)
        return self._without(fields, hidden) if hidden else fields

    def get_list_display(self, request: HttpRequest) -> Any:
        columns = super().get_list_display(request)  # type: ignore[misc]
        hidden = self._phi_hidden(request)
        return self._without(columns, hidden) if hidden else columns


def guarded_view(
    site: admin.AdminSite, view: Any, *, permissions: Sequence[str] = (), allowed: Any = None
) -> Any:
    """``view`` behind the admin login and, before it runs, the ``permissions`` (all of
    them) and the ``allowed(request)`` check, if given: 403 otherwise."""

    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if permissions and not request.user.has_perms(permissions):
            raise PermissionDenied
        if allowed is not None and not allowed(request):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return site.admin_view(update_wrapper(guarded, view))


class EstimatedCountPaginator(Paginator):
    """Counts an unfiltered list of a big table from PostgreSQL's statistics (``reltuples``,
    kept by autovacuum/ANALYZE) instead of ``COUNT(*)`` over millions of rows; filtered
    lists, small tables and other databases are counted exactly."""

    EXACT_BELOW = 100_000

    @cached_property
    def count(self) -> int:  # type: ignore[override]
        query = getattr(self.object_list, "query", None)
        if query is not None and not query.where and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                    [self.object_list.model._meta.db_table],
                )
                row = cursor.fetchone()
            if row and row[0] >= self.EXACT_BELOW:
                return int(row[0])
        return super().count


def choices_filter(
    field: str, title: str, choices: Callable[[], Sequence[tuple[str, str]]]
) -> type[admin.SimpleListFilter]:
    """A list filter on ``field`` whose values are ``choices()`` (a registry, a fixed list)
    rather than ``SELECT DISTINCT`` over the table; the parameter is ``<field>__exact``."""

    class ChoicesFilter(admin.SimpleListFilter):
        parameter_name = f"{field}__exact"

        def lookups(self, request: HttpRequest, model_admin: Any) -> Any:
            return list(choices())

        def queryset(self, request: HttpRequest, queryset: Any) -> Any:
            value = self.value()
            return queryset.filter(**{field: value}) if value else queryset

    ChoicesFilter.title = title
    ChoicesFilter.__name__ = f"{field.title().replace('_', '')}Filter"
    return ChoicesFilter


class ReadOnlyAdmin(PhiFieldsMixin, admin.ModelAdmin):
    """Nobody adds, changes or deletes these rows through the admin."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RecordAdmin(PhiFieldsMixin, admin.ModelAdmin):
    """Records the platform keeps (received batches, files sent, outcomes, outbox messages):
    never added or deleted through the admin; their fields are read-only, and they change
    only through actions that call a service (which needs the change permission). Their
    pages offer no Save (there is nothing to save), and a POST to one changes nothing and
    says nothing was changed."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method == "POST":
            if not self.has_view_or_change_permission(request):
                raise PermissionDenied
            self.message_user(
                request, "Nothing was changed: this record changes only through its actions."
            )
            return HttpResponseRedirect(request.get_full_path())
        context = {
            **(extra_context or {}),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "show_delete": False,
        }
        return super().change_view(request, object_id, form_url, context)


class ReadOnlyInline(admin.TabularInline):
    """An inline table of rows nobody adds, changes or deletes here."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class _Echo:
    """A file-like object whose ``write`` returns what it was given (for streaming CSV)."""

    def write(self, value: str) -> str:
        return value


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> StreamingHttpResponse:
    """A streamed CSV download (rows are written as they are produced, never all held)."""
    writer = csv.writer(_Echo())

    def lines() -> Iterable[str]:
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@lru_cache(maxsize=256)
def _list_url(app_label: str, model_name: str) -> str:
    try:
        return reverse(f"admin:{app_label}_{model_name}_changelist")
    except NoReverseMatch:
        return reverse("admin:index")


def changelist_url(model: Any, **filters: Any) -> str:
    """The admin list page of ``model`` (the admin index when it is not registered), with
    ``filters`` as its query (the list's filter parameters: ``status__exact="PENDING"``)."""
    url = _list_url(model._meta.app_label, model._meta.model_name)
    query = {k: v for k, v in filters.items() if v is not None and v != ""}
    return f"{url}?{urlencode(query)}" if query else url


def change_url(model: Any, pk: Any) -> str:
    """The admin page of one object of ``model`` ("" when that admin is not installed)."""
    try:
        return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[pk])
    except NoReverseMatch:
        return ""


@dataclass(frozen=True)
class ConfirmRow:
    """One selected object on a confirmation page: its cells, and why it cannot be acted
    on (``blocker``; empty when it qualifies)."""

    pk: Any
    cells: Sequence[Any]
    blocker: str = ""


class ReasonForm(forms.Form):
    """The default form of a confirmation page: a reason, recorded with the action."""

    reason = forms.CharField(
        label="Reason (recorded with the action)",
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        max_length=2000,
    )


class ActionRefused(Exception):
    """Raised by a ``perform`` callback: the page is shown again with this message."""


def confirm_action(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    *,
    action: str,
    title: str,
    columns: Sequence[str],
    rows: Sequence[ConfirmRow],
    perform: Callable[[Mapping[str, Any], list[ConfirmRow]], None],
    submit_label: str,
    intro: str = "",
    warning: str = "",
    details: str = "",
    form_class: type[forms.Form] | None = ReasonForm,
    initial: Mapping[str, Any] | None = None,
    refused_by: tuple[type[Exception], ...] = (),
) -> TemplateResponse | None:
    """The confirmation page of an admin action; performs it on the confirming POST.

    ``perform(cleaned_data, eligible_rows)`` calls the service and reports with
    ``message_user``; an exception of a ``refused_by`` class (or :class:`ActionRefused`)
    shows the page again with its message. Returns None once performed (the admin then
    redirects to the list), else the page. The submit button is disabled when no row
    qualifies. ``intro``, ``warning`` and ``details`` (shown under the rows: what exactly
    will change) may be safe HTML (``format_html``, a rendered template).
    """
    eligible = [row for row in rows if not row.blocker]
    form: forms.Form | None
    error = ""
    if request.POST.get(CONFIRM_FIELD) == "yes":
        form = form_class(request.POST) if form_class else None
        if not eligible:
            error = "None of the selected items qualifies for this action."
        elif form is None or form.is_valid():
            try:
                perform(form.cleaned_data if form is not None else {}, eligible)
            except (ActionRefused, *refused_by) as exc:
                error = str(exc)
            else:
                return None
    else:
        form = form_class(initial=dict(initial or {})) if form_class else None
    if error:
        modeladmin.message_user(request, error, messages.ERROR)
    context = {
        **modeladmin.admin_site.each_context(request),
        "opts": modeladmin.model._meta,
        "title": title,
        "intro": intro,
        "warning": warning,
        "details": details,
        "columns": columns,
        "rows": rows,
        "eligible_count": len(eligible),
        "form": form,
        "action": action,
        "submit_label": submit_label,
        "confirm_field": CONFIRM_FIELD,
        "action_checkbox_name": ACTION_CHECKBOX_NAME,
        "changelist_url": changelist_url(modeladmin.model),
    }
    return TemplateResponse(request, CONFIRM_TEMPLATE, context)
