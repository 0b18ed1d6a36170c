"""Partner admin: list, search, and validation messages that name the field."""

from __future__ import annotations

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_login_page_renders(client):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert b"EDI operations" in response.content


def test_partner_list_shows_the_demo_partners(admin_client_logged_in):
    call_command("seed_demo", verbosity=0)
    response = admin_client_logged_in.get("/admin/partners/tradingpartner/")
    assert response.status_code == 200
    for code in (b"PARTNERA", b"PARTNERB", b"INTERNAL-CLAIMS", b"TEST001"):
        assert code in response.content


def test_partner_search_by_isa_id(admin_client_logged_in):
    call_command("seed_demo", verbosity=0)
    response = admin_client_logged_in.get("/admin/partners/tradingpartner/?q=591234567")
    assert b"PARTNERB" in response.content
    assert b"PARTNERA" not in response.content


def test_add_form_shows_field_errors(admin_client_logged_in):
    response = admin_client_logged_in.post(
        "/admin/partners/tradingpartner/add/",
        {
            "code": "bad code",
            "name": "x",
            "active": "on",
            "their_isa_qualifier": "99",
            "their_isa_id": "ABC",
            "our_isa_qualifier": "ZZ",
            "our_isa_id": "US",
            "their_gs_code": "ABC",
            "our_gs_code": "US",
            "usage_indicator": "P",
            "element_separator": "*",
            "component_separator": ":",
            "repetition_separator": "^",
            "segment_terminator": "~",
            "ta1_policy": "always",
            "control_number_scope": "partner",
            "version_fallback": "nearest",
        },
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "their_isa_qualifier" in errors
    assert "code" in errors
