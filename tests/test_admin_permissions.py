"""Every custom admin page, CSV, download and state-changing action, requested by a staff user
without its permission (refused) and by one holding exactly it (served): one helper
(``adminkit.guarded_view``) checks before anything is built, so no branch (a CSV format, a
download) answers first."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from controlnumbers.models import ControlNumberCounter
from eventstore.inbound.services.ingest import ingest_bytes
from eventstore.ledger.services.projections import project_pending
from eventstore.models import Member, TransactionBatch
from outbound.models import OutboundFile
from outbound.services.assembly import outbound_assemble
from tests.eventstore.inbound.samples import inbound_storage as inbound_storage_dir  # noqa: F401
from tests.eventstore.inbound.samples import onboard_partner, sample
from tests.support.users import staff_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("inbound_storage_dir")]


@pytest.fixture
def data():
    onboard_partner(ta1_policy="always")
    ingest_bytes(data=sample(), original_name="a.x12")
    project_pending()
    outbound_assemble(ignore_windows=True)


# (name, url builder, method, the permissions that open it)
PAGES = [
    (
        "upload",
        lambda: reverse("admin:eventstore_transactionbatch_upload"),
        "get",
        ["add_transactionbatch"],
    ),
    (
        "raw file",
        lambda: reverse(
            "admin:eventstore_transactionbatch_raw", args=[TransactionBatch.objects.first().pk]
        ),
        "get",
        ["view_raw_file"],
    ),
    (
        "member history csv",
        lambda: (
            reverse("admin:eventstore_member_events", args=[Member.objects.first().pk])
            + "?format=csv"
        ),
        "get",
        ["view_member"],
    ),
    (
        "report: event types",
        lambda: reverse("reports:report", args=["event-types"]),
        "get",
        ["view_domainevent"],
    ),
    (
        "report: event types csv",
        lambda: reverse("reports:report", args=["event-types"]) + "?format=csv",
        "get",
        ["view_domainevent"],
    ),
    (
        "report: active enrollments csv",
        lambda: reverse("reports:report", args=["active-enrollments"]) + "?format=csv",
        "get",
        ["view_domainevent", "view_member"],
    ),
    (
        "report: pending outcomes",
        lambda: reverse("reports:report", args=["pending-outcomes"]),
        "get",
        ["view_processingoutcome"],
    ),
    (
        "gap report",
        lambda: reverse("admin:controlnumbers_gap_report"),
        "get",
        ["view_controlnumbercounter"],
    ),
    (
        "gap report csv",
        lambda: reverse("admin:controlnumbers_gap_report") + "?format=csv",
        "get",
        ["view_controlnumbercounter"],
    ),
    (
        "pending csv",
        lambda: reverse("admin:outbound_processingoutcome_changelist") + "?format=pending-csv",
        "get",
        ["view_processingoutcome"],
    ),
    (
        "file download",
        lambda: reverse(
            "admin:outbound_outboundfile_download", args=[OutboundFile.objects.first().pk]
        ),
        "get",
        ["view_outboundfile", "view_file_content"],
    ),
    (
        "run: publish",
        lambda: reverse("admin:outbound_outboundfile_run", args=["publish"]),
        "post",
        ["view_outboundfile", "change_outboundfile"],
    ),
]


@pytest.mark.parametrize(("name", "url", "method", "perms"), PAGES, ids=[p[0] for p in PAGES])
def test_a_custom_page_needs_its_permissions(client, data, name, url, method, perms):
    target = url()
    # every permission but the needed ones: still refused
    others = Permission.objects.filter(codename__startswith="view_").exclude(codename__in=perms)
    lacking = staff_user(username="lacking")
    lacking.user_permissions.add(*others)
    client.force_login(lacking)
    refused = getattr(client, method)(target)
    assert refused.status_code == 403, (name, refused.status_code)
    # exactly the needed permissions: served
    client.force_login(staff_user(*perms, username="holder"))
    served = getattr(client, method)(target)
    assert served.status_code in (200, 302), (name, served.status_code)


def test_the_report_index_needs_at_least_one_report(client, data):
    client.force_login(staff_user(username="none"))
    assert client.get(reverse("reports:index")).status_code == 403
    client.force_login(staff_user("view_processingoutcome", username="outcomes"))
    assert client.get(reverse("reports:index")).status_code == 200


# (changelist URL name, action, queryset ids, the permissions that offer it)
ACTIONS = [
    (
        "admin:eventstore_transactionbatch_changelist",
        "reprocess_selected",
        lambda: [TransactionBatch.objects.first().pk],
        ["view_transactionbatch", "change_transactionbatch"],
    ),
    (
        "admin:eventstore_transactionbatch_changelist",
        "reverse_batch_action",
        lambda: [TransactionBatch.objects.first().pk],
        ["view_transactionbatch", "reverse_batch"],
    ),
    (
        "admin:controlnumbers_controlnumbercounter_changelist",
        "reset_counter",
        lambda: [ControlNumberCounter.objects.first().pk],
        ["view_controlnumbercounter", "reset_counter"],
    ),
    (
        "admin:outbound_outboundfile_changelist",
        "reprocess",
        lambda: [OutboundFile.objects.first().pk],
        ["view_outboundfile", "change_outboundfile"],
    ),
]


@pytest.mark.parametrize(
    ("changelist", "action", "ids", "perms"), ACTIONS, ids=[a[1] for a in ACTIONS]
)
def test_a_state_changing_action_needs_its_permission(client, data, changelist, action, ids, perms):
    url = reverse(changelist)
    payload = {"action": action, "_selected_action": [str(i) for i in ids()]}
    view_only = [p for p in perms if p.startswith("view_")]
    client.force_login(staff_user(*view_only, username="viewer"))
    page = client.post(url, payload)
    # not offered: Django answers the list again with "No action selected" (or 403)
    assert page.status_code in (302, 403) or b'name="confirm"' not in page.content
    client.force_login(staff_user(*perms, username="actor"))
    confirm = client.post(url, payload)
    assert confirm.status_code == 200 and b'name="confirm"' in confirm.content, action
