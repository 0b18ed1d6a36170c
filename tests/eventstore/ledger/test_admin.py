"""Admin: read-only events, PHI-gated members with timeline, reports with CSV, reverse action."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.contrib.messages.storage.fallback import FallbackStorage
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from eventstore.ledger.admin import reverse_batch_action
from eventstore.ledger.services.enrollment_834 import enrollment_834_apply
from eventstore.ledger.services.projections import project_pending
from eventstore.models import BatchReversal, DomainEvent, Member, TransactionBatch
from tests.factories import TradingPartnerFactory
from tests.support import synthetic_834 as synth
from tests.support.users import staff_client

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "events"


@pytest.fixture
def family(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "inbound": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    batch, header = synth.register_834(
        (FIXTURES / "834_add_family.edi").read_bytes(), partner=TradingPartnerFactory(code="ACME")
    )
    enrollment_834_apply(header=header)
    project_pending()
    return batch


def test_domain_events_are_read_only_even_for_superusers(admin_client_logged_in, family):
    event = DomainEvent.objects.first()
    add = admin_client_logged_in.get(reverse("admin:eventstore_domainevent_add"))
    assert add.status_code == 403
    page = admin_client_logged_in.get(
        reverse("admin:eventstore_domainevent_change", args=[event.pk])
    )
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    delete = admin_client_logged_in.post(
        reverse("admin:eventstore_domainevent_delete", args=[event.pk]), {"post": "yes"}
    )
    assert delete.status_code == 403
    assert DomainEvent.objects.filter(pk=event.pk).exists()


def test_event_payload_and_members_need_view_member(client, family):
    staff_client(client, "view_domainevent")
    event = DomainEvent.objects.first()
    page = client.get(reverse("admin:eventstore_domainevent_change", args=[event.pk]))
    assert page.status_code == 200 and b"JANE" not in page.content
    assert client.get(reverse("admin:eventstore_member_changelist")).status_code == 403
    assert client.get(reverse("reports:report", args=["active-enrollments"])).status_code == 403


def test_member_search_and_timeline_with_file_context(client, family):
    staff_client(client, "view_member", "view_domainevent")
    listing = client.get(reverse("admin:eventstore_member_changelist"), {"q": "SUB0001"})
    assert listing.status_code == 200 and listing.content.count(b"SUB0001") >= 3
    jane = Member.objects.get(relationship="18")
    page = client.get(reverse("admin:eventstore_member_change", args=[jane.pk]))
    assert page.status_code == 200
    assert b"member-timeline" in page.content and b"enrollment.834" in page.content
    assert b'name="_save"' not in page.content
    csv = client.get(reverse("admin:eventstore_member_events", args=[jane.pk]), {"format": "csv"})
    lines = b"".join(csv.streaming_content).decode().splitlines()
    assert lines[0].startswith("position,version,event type")
    assert len(lines) == 4 and "MemberAdded" in lines[1] and ",5," in lines[1]


@pytest.mark.parametrize(
    ("report", "header", "row"),
    [
        ("active-enrollments", "partner,subscriber id,relationship", "ACME,SUB0001,18"),
        ("event-stream", "position,event type,aggregate", ",MemberAdded,"),
        ("batch-summary", "batch,file,partner", ",enrollment.834,ACME,"),
        ("event-types", "event type,count", "MemberAdded,3,"),
        ("projection-lag", "projection,head,checkpoint,lag", "members,"),
    ],
)
def test_every_report_shows_its_rows_and_downloads_them_as_csv(
    admin_client_logged_in, family, report, header, row
):
    url = reverse("reports:report", args=[report])
    page = admin_client_logged_in.get(url)
    assert page.status_code == 200 and page.context["rows"]
    response = admin_client_logged_in.get(url, {"format": "csv"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0].startswith(header)
    assert any(row in line for line in lines[1:]), lines[:5]


def test_the_old_report_addresses_redirect_to_the_report_registry(admin_client_logged_in):
    old = reverse("admin:eventstore_report", args=["event-types"])
    response = admin_client_logged_in.get(old, {"type": "MemberAdded"})
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:report", args=["event-types"]) + (
        "?type=MemberAdded"
    )
    index = admin_client_logged_in.get(reverse("admin:eventstore_reports"))
    assert index["Location"] == reverse("reports:index")


def action_request(rf, user, data):
    request = rf.post("/", data)
    request.user = user
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


def test_reverse_action_needs_permission_confirms_then_reverses(rf, django_user_model, family):
    model_admin = admin.site._registry[TransactionBatch]
    user = django_user_model.objects.create_user("ops", is_staff=True)
    queryset = TransactionBatch.objects.filter(pk=family.pk)
    with pytest.raises(PermissionDenied):
        reverse_batch_action(model_admin, action_request(rf, user, {}), queryset)
    user.user_permissions.add(Permission.objects.get(codename="reverse_batch"))
    user = django_user_model.objects.get(pk=user.pk)  # drop the permission cache
    confirm = reverse_batch_action(model_admin, action_request(rf, user, {}), queryset)
    confirm.render()
    assert b"Yes, reverse" in confirm.content and b"reason" in confirm.content
    assert not BatchReversal.objects.exists()
    done = reverse_batch_action(
        model_admin, action_request(rf, user, {"confirm": "yes", "reason": "wrong file"}), queryset
    )
    assert done is None
    reversal = BatchReversal.objects.get()
    assert reversal.acting_user == user and reversal.events_reversed == 7
    assert "reverse_batch_action" in model_admin.get_actions(action_request(rf, user, {}))


def test_batch_admin_offers_reverse_batch_with_confirmation(client, family):
    staff_client(
        client,
        "view_transactionbatch",
        "change_transactionbatch",
        "reverse_batch",
    )
    url = reverse("admin:eventstore_transactionbatch_changelist")
    post = {"action": "reverse_batch_action", "_selected_action": [family.pk]}
    confirm = client.post(url, post)
    assert confirm.status_code == 200 and b"Yes, reverse" in confirm.content
    assert not BatchReversal.objects.exists()
    done = client.post(url, {**post, "confirm": "yes", "reason": "sent twice"}, follow=True)
    assert b"events compensated" in done.content
    assert BatchReversal.objects.get().reason == "sent twice"


def test_batch_admin_hides_reverse_batch_without_the_permission(client, family):
    staff_client(client, "view_transactionbatch", "change_transactionbatch")
    page = client.get(reverse("admin:eventstore_transactionbatch_changelist"))
    assert page.status_code == 200
    assert b"reverse_batch_action" not in page.content
