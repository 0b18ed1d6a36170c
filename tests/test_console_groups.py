"""The permission groups EDI auditor / operator / administrator: created by a command, and
what each can see and do on every admin page and action (PHI pages only with view_member,
raw files only with the raw-download permission, reset / reverse / close-gap only for
administrators); a crawl of every admin URL by every group answers no server error."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse

from controlnumbers.models import ControlNumberAudit, ControlNumberCounter
from edi_platform.core.groups import ADMINISTRATOR, AUDITOR, OPERATOR, ROLES, role_permissions
from eventstore.models import Member, TransactionBatch
from outbound.models import BatchWindow, OutboundFile, ProcessingOutcome
from tests.eventstore.inbound.samples import inbound_storage as inbound_storage_dir  # noqa: F401
from tests.support.console import installation
from tests.test_admin_crawl import CORE, PARAMS

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("inbound_storage_dir")]

A, O, D = AUDITOR, OPERATOR, ADMINISTRATOR  # noqa: E741


@pytest.fixture
def world():
    call_command("setup_groups", stdout=StringIO())
    return installation()


@pytest.fixture
def as_role(client, django_user_model):
    users = {}

    def login(role: str):
        if role not in users:
            user = django_user_model.objects.create_user(
                role.replace(" ", "-").lower(), password="pw-role-12345", is_staff=True
            )
            user.groups.add(Group.objects.get(name=role))
            users[role] = user
        client.force_login(users[role])
        return client

    return login


def test_setup_groups_creates_the_three_groups_with_exactly_their_permissions():
    out = StringIO()
    call_command("setup_groups", stdout=out)
    call_command("setup_groups", stdout=out)  # idempotent
    for role in ROLES:
        group = Group.objects.get(name=role)
        have = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
        assert have == role_permissions(role), role
    assert role_permissions(AUDITOR) < role_permissions(OPERATOR) < role_permissions(ADMINISTRATOR)
    # PHI and history-changing permissions sit where the issue says
    assert "eventstore.view_member" not in role_permissions(AUDITOR)
    assert "eventstore.view_raw_file" not in role_permissions(OPERATOR)
    for perm in (
        "controlnumbers.reset_counter",
        "eventstore.reverse_batch",
        "controlnumbers.close_gap",
    ):
        assert perm not in role_permissions(OPERATOR) and perm in role_permissions(ADMINISTRATOR)


def test_setup_groups_puts_back_a_permission_removed_by_hand():
    call_command("setup_groups", stdout=StringIO())
    group = Group.objects.get(name=OPERATOR)
    group.permissions.clear()
    call_command("setup_groups", stdout=StringIO())
    assert group.permissions.count() == len(role_permissions(OPERATOR))


def _changelist(label: str) -> str:
    app, model = label.split(".")
    return reverse(f"admin:{app}_{model}_changelist")


# every list of the admin: who sees it (the others get 403)
LISTS = {
    "eventstore.transactionbatch": (A, O, D),
    "eventstore.transactionheader": (A, O, D),
    "eventstore.domainevent": (A, O, D),
    "eventstore.member": (O, D),
    "eventstore.enrollment": (O, D),
    "eventstore.reconciliationreport": (A, O, D),
    "eventstore.projectionlagalert": (A, O, D),
    "eventstore.batchreversal": (A, O, D),
    "eventstore.ingestionrun": (A, O, D),
    "eventstore.ingestionstep": (A, O, D),
    "controlnumbers.controlnumbercounter": (A, O, D),
    "controlnumbers.controlnumberaudit": (A, O, D),
    "controlnumbers.controlnumberalert": (A, O, D),
    "outbound.outboundfile": (A, O, D),
    "outbound.quarantinedfile": (A, O, D),
    "outbound.processingoutcome": (A, O, D),
    "outbound.outboxmessage": (A, O, D),
    "outbound.deadletter": (A, O, D),
    "outbound.operatoraction": (A, O, D),
    "outbound.batchwindow": (A, O, D),
    "outbound.eligibilitypolicy": (A, O, D),
    "outbound.eligibilityinquiry": (O, D),
    "outbound.claim": (O, D),
    "outbound.claimeditsetting": (A, O, D),
    "outbound.remittanceimport": (A, O, D),
    "outbound.remittancepayment": (A, O, D),
    "outbound.adjudication": (O, D),
    "api.apikey": (A, O, D),  # auditors list keys (prefixes, owners); administrators add
    "api.apiaccessrecord": (A, O, D),
    "partners.tradingpartner": (A, O, D),
    "django_celery_beat.periodictask": (A, O, D),
    "django_celery_beat.intervalschedule": (A, O, D),
    "django_celery_beat.crontabschedule": (A, O, D),
    "django_celery_beat.clockedschedule": (),
    "django_celery_beat.solarschedule": (),
    "auth.user": (),
    "auth.group": (),
}


def test_the_matrix_covers_every_registered_admin():
    registered = {f"{m._meta.app_label}.{m._meta.model_name}" for m in admin.site._registry}
    assert registered == set(LISTS)


@pytest.mark.parametrize("label", sorted(LISTS))
def test_who_sees_each_list(world, as_role, label):
    for role in ROLES:
        status = as_role(role).get(_changelist(label)).status_code
        assert status == (200 if role in LISTS[label] else 403), (label, role, status)


def _first(model):
    return model.objects.order_by("pk").first().pk


# custom pages, downloads and buttons: (name, method, url, who may)
PAGES = [
    ("dashboard", "get", lambda: reverse("admin:index"), (A, O, D)),
    ("search", "get", lambda: reverse("console-search") + "?q=701", (A, O, D)),
    ("reports", "get", lambda: reverse("reports:index"), (A, O, D)),
    (
        "report: event stream",
        "get",
        lambda: reverse("reports:report", args=["event-stream"]),
        (A, O, D),
    ),
    (
        "report: active enrollments (PHI)",
        "get",
        lambda: reverse("reports:report", args=["active-enrollments"]) + "?format=csv",
        (O, D),
    ),
    (
        "gap report csv",
        "get",
        lambda: reverse("admin:controlnumbers_gap_report") + "?format=csv",
        (A, O, D),
    ),
    (
        "pending csv",
        "get",
        lambda: reverse("admin:outbound_processingoutcome_changelist") + "?format=pending-csv",
        (A, O, D),
    ),
    ("upload", "get", lambda: reverse("admin:eventstore_transactionbatch_upload"), (O, D)),
    (
        "raw file (PHI)",
        "get",
        lambda: reverse("admin:eventstore_transactionbatch_raw", args=[_first(TransactionBatch)]),
        (D,),
    ),
    (
        "member history csv (PHI)",
        "get",
        lambda: reverse("admin:eventstore_member_events", args=[_first(Member)]) + "?format=csv",
        (O, D),
    ),
    (
        "file download (PHI)",
        "get",
        lambda: reverse("admin:outbound_outboundfile_download", args=[_first(OutboundFile)]),
        (O, D),
    ),
    (
        "run: publish",
        "post",
        lambda: reverse("admin:outbound_outboundfile_run", args=["publish"]),
        (O, D),
    ),
    (
        "run: assemble",
        "post",
        lambda: reverse("admin:outbound_outboundfile_run", args=["assemble"]),
        (O, D),
    ),
]


@pytest.mark.parametrize(("name", "method", "url", "who"), PAGES, ids=[p[0] for p in PAGES])
def test_who_may_open_each_page(world, as_role, name, method, url, who):
    for role in ROLES:
        status = getattr(as_role(role), method)(url()).status_code
        allowed = status in (200, 302)
        assert allowed == (role in who), (name, role, status)


# actions: (list, action, object, who is offered it)
ACTIONS = [
    ("eventstore.transactionbatch", "reprocess_selected", TransactionBatch, (O, D)),
    ("eventstore.transactionbatch", "reverse_batch_action", TransactionBatch, (D,)),
    ("controlnumbers.controlnumbercounter", "reset_counter", ControlNumberCounter, (D,)),
    ("controlnumbers.controlnumberaudit", "close_gap", ControlNumberAudit, (D,)),
    ("outbound.outboundfile", "reprocess", OutboundFile, (O, D)),
    ("outbound.outboxmessage", "resubmit", None, (O, D)),
]


@pytest.mark.parametrize(("label", "action", "model", "who"), ACTIONS, ids=[a[1] for a in ACTIONS])
def test_who_is_offered_each_action(world, as_role, label, action, model, who):
    for role in ROLES:
        page = as_role(role).get(_changelist(label)).content.decode()
        offered = f'value="{action}"' in page
        assert offered == (role in who), (action, role)
        if model is not None and role not in who:
            response = as_role(role).post(
                _changelist(label), {"action": action, "_selected_action": [_first(model)]}
            )
            assert 'name="confirm"' not in response.content.decode(), (action, role)


def test_only_administrators_may_save_set_up(world, as_role):
    window = reverse("admin:outbound_batchwindow_change", args=[_first(BatchWindow)])
    for role in ROLES:
        page = as_role(role).get(window).content.decode()
        assert ('name="_save"' in page) == (role == D), role


def test_outcome_payloads_only_for_those_who_may_read_contents(world, as_role):
    url = reverse("admin:outbound_processingoutcome_change", args=[_first(ProcessingOutcome)])
    for role in ROLES:
        page = as_role(role).get(url).content.decode()
        assert ("Payload:" in page) == (role != A), role


def test_every_admin_url_by_every_group_answers_no_server_error(world, as_role):
    from tests.test_admin_crawl import APPS, admin_pages

    errors = []
    for role in ROLES:
        client = as_role(role)
        for app in APPS:
            for url in dict.fromkeys(admin_pages(app)):
                for value in ("", *CORE[:3]):
                    query = {name: value for name in PARAMS} if value else {}
                    status = client.get(url, query).status_code
                    if status >= 500:
                        errors.append((role, url, value, status))
        for url in (reverse("admin:index"), reverse("console-search") + "?q=%C2%B2"):
            if client.get(url).status_code >= 500:
                errors.append((role, url))
    assert errors == []
