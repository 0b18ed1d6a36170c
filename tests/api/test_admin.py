"""Keys are managed in the admin: created with the key shown once (only its hash kept),
revoked with a confirmation; access records are listed read-only for auditors."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.utils import timezone

from api.access import ApiAccessRecord
from api.keys.models import ApiKey
from tests.api.conftest import enrol_jane
from tests.factories import TradingPartnerFactory

pytestmark = pytest.mark.django_db


def test_a_key_created_in_the_admin_is_shown_once_and_works(admin_client_logged_in):
    partner = TradingPartnerFactory(code="ADMKEY")
    response = admin_client_logged_in.post(
        "/admin/api/apikey/add/",
        {
            "name": "portal",
            "partner": partner.pk,
            "expires_at_0": "2099-01-01",
            "expires_at_1": "00:00:00",
        },
    )
    assert response.status_code == 200, response.content[:500]
    secret = re.search(rb'id="api-key-secret"[^>]*>([^<]+)<', response.content).group(1).decode()
    key = ApiKey.objects.get()
    assert secret.startswith(f"edi_{key.prefix}_") and key.created_by == "ops-admin"
    assert "no-store" in response["Cache-Control"]
    page = admin_client_logged_in.get(f"/admin/api/apikey/{key.pk}/change/")
    assert secret.encode() not in page.content and key.prefix.encode() in page.content
    assert (
        admin_client_logged_in.get(
            "/api/v1/files", HTTP_AUTHORIZATION=f"Api-Key {secret}"
        ).status_code
        == 200
    )


def test_a_key_needs_a_partner_or_a_user_not_both(admin_client_logged_in, django_user_model):
    partner = TradingPartnerFactory(code="ADMKEY")
    user = django_user_model.objects.create_user("someone")
    response = admin_client_logged_in.post(
        "/admin/api/apikey/add/",
        {
            "name": "x",
            "partner": partner.pk,
            "user": user.pk,
            "expires_at_0": "2099-01-01",
            "expires_at_1": "00:00:00",
        },
    )
    assert b"not both" in response.content and not ApiKey.objects.exists()


def test_revoking_asks_for_confirmation_then_revokes(admin_client_logged_in):
    from api.keys.services import api_key_create

    key = api_key_create(name="k", partner=TradingPartnerFactory(code="REV"), acting_user=None).key
    url = "/admin/api/apikey/"
    first = admin_client_logged_in.post(url, {"action": "revoke", "_selected_action": [key.pk]})
    assert first.status_code == 200 and b"Revoke API keys" in first.content
    key.refresh_from_db()
    assert key.revoked_at is None
    admin_client_logged_in.post(
        url, {"action": "revoke", "_selected_action": [key.pk], "confirm": "yes"}
    )
    key.refresh_from_db()
    assert key.revoked_at is not None and key.revoked_by == "ops-admin"


def test_auditors_read_the_access_records_and_nobody_edits_them(client, django_user_model):
    call_command("setup_groups", verbosity=0)
    auditor = django_user_model.objects.create_user("aud", password="pw-aud-0001", is_staff=True)
    auditor.groups.add(Group.objects.get(name="EDI auditor"))
    ApiAccessRecord.objects.create(
        key_prefix="abc",
        resource="member",
        resource_ids=["x"],
        method="GET",
        status_code=200,
        at=timezone.now(),
    )
    client.force_login(auditor)
    listing = client.get("/admin/api/apiaccessrecord/")
    assert listing.status_code == 200 and b"member" in listing.content
    assert client.get("/admin/api/apikey/").status_code == 200
    assert client.get("/admin/api/apikey/add/").status_code == 403
    record = ApiAccessRecord.objects.get()
    assert client.post(f"/admin/api/apiaccessrecord/{record.pk}/delete/").status_code == 403


@pytest.mark.django_db(transaction=True)
def test_operators_see_a_partners_receipt_on_the_file(world, provider_api, admin_client_logged_in):
    from outbound.models import OutboundFile
    from tests.api.conftest import inquiry_270

    enrol_jane(world)
    provider_api.post("/api/v1/interchanges", inquiry_270())
    file = OutboundFile.objects.filter(transaction_type="271").get()
    provider_api.post(f"/api/v1/files/{file.pk}/received")
    page = admin_client_logged_in.get(f"/admin/outbound/outboundfile/{file.pk}/change/")
    assert b"Received by partner" in page.content
    assert b"api key " in page.content
