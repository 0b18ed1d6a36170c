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


def test_the_partner_page_shows_the_snip_level_in_force_and_the_code_list_state(
    admin_client_logged_in,
):
    from edi_platform import x12
    from tests.factories import TradingPartnerFactory

    partner = TradingPartnerFactory(code="SNIPPY", snip_level=3)
    listing = admin_client_logged_in.get("/admin/partners/tradingpartner/").content.decode()
    assert "3: + balancing" in listing
    page = admin_client_logged_in.get(
        f"/admin/partners/tradingpartner/{partner.pk}/change/"
    ).content.decode()
    assert 'name="snip_level"' in page and 'name="code_sets"' in page
    warnings = x12.code_list_status()
    if warnings:  # the shipped lists are subsets / dated: each warning is on the page
        assert "code-list-warning" in page and warnings[0].split(":")[0] in page
    partner.code_sets = False
    partner.save()
    page = admin_client_logged_in.get(
        f"/admin/partners/tradingpartner/{partner.pk}/change/"
    ).content.decode()
    assert "not checked for this partner" in page
