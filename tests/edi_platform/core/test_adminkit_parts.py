"""The admin kit's other parts, each called directly (the admin builds most of them once, at
URL or class set-up, where a page test cannot tell a broken guard from a working one):
``guarded_view`` checks login, permissions and ``allowed`` before the view runs;
``PhiFieldsMixin`` leaves PHI fields out of every kind of field list; a ``RecordAdmin`` page
changes nothing on POST; read-only inlines allow nothing; ``choices_filter`` filters by its
parameter; the URL helpers."""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.urls import reverse

from edi_platform.core.adminkit import (
    PhiFieldsMixin,
    ReadOnlyAdmin,
    ReadOnlyInline,
    RecordAdmin,
    change_url,
    changelist_url,
    choices_filter,
    csv_response,
    guarded_view,
)
from eventstore.models import EventSnapshot, TransactionBatch, TransactionHeader
from tests.factories import TradingPartnerFactory, TransactionBatchFactory
from tests.support.users import staff_user

pytestmark = pytest.mark.django_db


# -- guarded_view ----------------------------------------------------------------------------


def test_guarded_view_serves_only_after_login_permissions_and_allowed(rf):
    calls = []

    def report_page(request, *args, **kwargs):
        calls.append((request, args, kwargs))
        return HttpResponse("served")

    seen = []

    def allowed(request):
        seen.append(request)
        return request.GET.get("open") == "1"

    view = guarded_view(
        admin.site,
        report_page,
        permissions=["partners.view_tradingpartner", "eventstore.view_member"],
        allowed=allowed,
    )
    assert view.__name__ == "report_page"  # the view's own name and attributes are kept

    def call(user, query=""):
        request = rf.get("/x/" + query)
        request.user = user
        return request, view(request, 7, key="k")

    # not logged in: the admin login, nothing run
    _, response = call(AnonymousUser())
    assert response.status_code == 302 and "/login/" in response["Location"]
    # one of the two permissions only: refused before ``allowed`` or the view
    with pytest.raises(PermissionDenied):
        call(staff_user("view_tradingpartner", username="half"), "?open=1")
    assert seen == [] and calls == []
    holder = staff_user("view_tradingpartner", "view_member", username="both")
    # both permissions, ``allowed`` says no: refused
    with pytest.raises(PermissionDenied):
        call(holder)
    assert calls == []
    # both, and allowed: the view gets the very request, args and kwargs
    request, response = call(holder, "?open=1")
    assert response.content == b"served"
    assert calls == [(request, (7,), {"key": "k"})]
    assert seen[-1] is request


def test_guarded_view_without_permissions_serves_every_staff_user(rf):
    view = guarded_view(admin.site, lambda request: HttpResponse("served"))
    request = rf.get("/x/")
    request.user = staff_user(username="plain")
    assert view(request).content == b"served"


# -- PhiFieldsMixin --------------------------------------------------------------------------


class SnapshotFields(PhiFieldsMixin, admin.ModelAdmin):
    fields = ("aggregate_id", ("aggregate_version", "state"), ("state",), "position")
    readonly_fields = ("aggregate_id", "state")
    list_display = ("aggregate_id", "state", "position")


class SnapshotFieldsets(PhiFieldsMixin, admin.ModelAdmin):
    fieldsets = (
        ("Ids", {"fields": ("aggregate_id", ("aggregate_version", "state")), "classes": ("c",)}),
        ("State", {"fields": ("state",)}),
    )


class SnapshotDerived(PhiFieldsMixin, admin.ModelAdmin):
    readonly_fields = ("created_at",)


def test_phi_fields_are_left_out_of_every_field_list_without_the_permission(rf):
    # EventSnapshot.state is PHI (eventstore.view_member)
    request = rf.get("/")
    request.user = staff_user("view_eventsnapshot", username="no-phi")
    fields = SnapshotFields(EventSnapshot, admin.site)
    sets = SnapshotFieldsets(EventSnapshot, admin.site)
    assert fields.get_fields(request) == ["aggregate_id", ("aggregate_version",), "position"]
    assert fields.get_readonly_fields(request) == ["aggregate_id"]
    assert fields.get_list_display(request) == ["aggregate_id", "position"]
    assert sets.get_fieldsets(request) == [
        ("Ids", {"fields": ["aggregate_id", ("aggregate_version",)], "classes": ("c",)})
    ]
    # fields derived from the model's form (no ``fields``, no ``fieldsets``): the PHI one
    # left out too
    derived = SnapshotDerived(EventSnapshot, admin.site)
    assert "state" not in derived.get_fields(request)
    assert "aggregate_id" in derived.get_fields(request)
    [(title, options)] = derived.get_fieldsets(request)
    assert title is None and "state" not in options["fields"]
    assert "aggregate_id" in options["fields"]

    request.user = staff_user("view_eventsnapshot", "view_member", username="phi")
    assert fields.get_fields(request) == SnapshotFields.fields
    assert fields.get_readonly_fields(request) == SnapshotFields.readonly_fields
    assert fields.get_list_display(request) == SnapshotFields.list_display
    assert sets.get_fieldsets(request) == SnapshotFieldsets.fieldsets
    assert "state" in SnapshotDerived(EventSnapshot, admin.site).get_fields(request)


# -- RecordAdmin and read-only inlines -------------------------------------------------------


def test_a_record_page_offers_no_save_and_a_post_changes_nothing(client):
    batch = TransactionBatchFactory(partner=TradingPartnerFactory(code="ACME"))
    url = reverse("admin:eventstore_transactionbatch_change", args=[batch.pk])
    # the change permission (which the record's actions need) would show Save buttons on a
    # plain ModelAdmin page
    client.force_login(
        staff_user("view_transactionbatch", "change_transactionbatch", username="editor")
    )
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    for button in ('name="_save"', 'name="_continue"', 'name="_addanother"', 'class="deletelink"'):
        assert button not in html
    form_tag = re.search(r'<form [^>]*id="transactionbatch_form"[^>]*>', html).group(0)
    assert "action=" not in form_tag  # the form posts back to this page
    answer = client.post(url, {"original_name": "renamed.x12", "status": "REJECTED"}, follow=True)
    assert answer.redirect_chain == [(url, 302)]
    assert "Nothing was changed: this record changes only through its actions." in [
        str(m) for m in answer.context["messages"]
    ]
    batch.refresh_from_db()
    assert (batch.original_name, batch.status) != ("renamed.x12", "REJECTED")

    client.force_login(staff_user(username="outsider"))
    assert client.post(url, {"original_name": "x"}).status_code == 403


def test_a_record_page_keeps_the_extra_context_it_is_given(rf):
    # a plain RecordAdmin (no page of its own around it), as the outbound records use it
    batch = TransactionBatchFactory(partner=TradingPartnerFactory(code="ACME"))
    request = rf.get("/")
    request.user = staff_user("view_transactionbatch", "change_transactionbatch", username="editor")
    page = RecordAdmin(TransactionBatch, admin.site).change_view(
        request, str(batch.pk), extra_context={"marker": "Marked"}
    )
    assert page.context_data["marker"] == "Marked"
    page.render()
    html = page.content.decode()
    for button in ('name="_save"', 'name="_continue"', 'name="_addanother"', 'class="deletelink"'):
        assert button not in html
    form_tag = re.search(r'<form [^>]*id="transactionbatch_form"[^>]*>', html).group(0)
    assert "action=" not in form_tag


def test_read_only_and_record_admins_allow_no_add_or_delete_even_to_a_superuser(rf, admin_user):
    request = rf.get("/")
    request.user = admin_user
    read_only = ReadOnlyAdmin(EventSnapshot, admin.site)
    record = RecordAdmin(TransactionBatch, admin.site)
    assert read_only.has_add_permission(request) is False
    assert read_only.has_change_permission(request) is False
    assert read_only.has_delete_permission(request) is False
    assert record.has_add_permission(request) is False
    assert record.has_delete_permission(request) is False
    assert record.has_change_permission(request) is True  # its actions need it


def test_csv_response_streams_a_header_and_rows_as_an_attachment():
    produced = []

    def rows():
        for i in range(3):
            produced.append(i)
            yield [i, f"name,{i}"]

    response = csv_response("report.csv", ["id", "name"], rows())
    assert produced == []  # streamed: no row is built before the response is read
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="report.csv"'
    body = b"".join(response.streaming_content).decode()
    assert body == 'id,name\r\n0,"name,0"\r\n1,"name,1"\r\n2,"name,2"\r\n'


def test_read_only_inlines_allow_no_add_change_or_delete(rf, admin_user):
    class HeadersInline(ReadOnlyInline):
        model = TransactionHeader

    inline = HeadersInline(TransactionBatch, admin.site)
    request = rf.get("/")
    request.user = admin_user  # not even a superuser
    assert inline.has_add_permission(request) is False
    assert inline.has_change_permission(request) is False
    assert inline.has_delete_permission(request) is False
    assert (inline.extra, inline.can_delete) == (0, False)


# -- choices_filter and the URL helpers ------------------------------------------------------


def test_choices_filter_offers_its_choices_and_filters_on_its_parameter(rf):
    acme = TradingPartnerFactory(code="ACME")
    accepted = TransactionBatchFactory(partner=acme, status="ACCEPTED")
    rejected = TransactionBatchFactory(partner=acme, status="REJECTED")
    calls = []

    def choices():
        calls.append(1)
        return (("ACCEPTED", "Accepted"), ("REJECTED", "Rejected"))

    Filter = choices_filter("status", "outcome", choices)
    assert (Filter.__name__, Filter.title, Filter.parameter_name) == (
        "StatusFilter",
        "outcome",
        "status__exact",
    )
    model_admin = admin.site._registry[TransactionBatch]
    request = rf.get("/")
    picked = Filter(request, {"status__exact": ["REJECTED"]}, TransactionBatch, model_admin)
    assert picked.lookups(request, model_admin) == [
        ("ACCEPTED", "Accepted"),
        ("REJECTED", "Rejected"),
    ]
    assert calls  # asked each time, not frozen at class creation
    everything = TransactionBatch.objects.all()
    assert list(picked.queryset(request, everything)) == [rejected]
    unpicked = Filter(request, {}, TransactionBatch, model_admin)
    assert set(unpicked.queryset(request, everything)) == {accepted, rejected}
    assert choices_filter("event_type", "type", choices).__name__ == "EventTypeFilter"


def test_url_helpers_name_the_admin_pages_and_drop_empty_filters():
    assert change_url(TransactionBatch, 5) == reverse(
        "admin:eventstore_transactionbatch_change", args=[5]
    )
    batches = reverse("admin:eventstore_transactionbatch_changelist")
    assert changelist_url(TransactionBatch) == batches
    assert changelist_url(TransactionBatch, status__exact="REJECTED", partner=None, q="") == (
        batches + "?status__exact=REJECTED"
    )

    class Meta:  # a model without an admin
        app_label = "nowhere"
        model_name = "thing"

    class Unregistered:
        _meta = Meta

    assert change_url(Unregistered, 1) == ""
    assert changelist_url(Unregistered) == reverse("admin:index")


def test_an_unfiltered_big_list_is_counted_from_the_statistics_and_a_filtered_one_exactly():
    from django.db import connection

    from edi_platform.core.adminkit import EstimatedCountPaginator

    acme = TradingPartnerFactory(code="ACME")
    for _ in range(5):
        TransactionBatchFactory(partner=acme, status="ACCEPTED")
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {TransactionBatch._meta.db_table}")
    TransactionBatchFactory(partner=acme, status="REJECTED")
    TransactionBatchFactory(partner=acme, status="REJECTED")  # 7 rows, the statistics say 5

    class Small(EstimatedCountPaginator):
        EXACT_BELOW = 5

    everything = TransactionBatch.objects.order_by("pk")
    assert Small(everything, 2).count == 5  # the estimate, no COUNT(*)
    assert Small(everything.filter(status="REJECTED"), 2).count == 2
    assert EstimatedCountPaginator(everything, 2).count == 7  # a small table: exact

    class Above(EstimatedCountPaginator):
        EXACT_BELOW = 6

    assert Above(everything, 2).count == 7  # statistics below the bound: exact
