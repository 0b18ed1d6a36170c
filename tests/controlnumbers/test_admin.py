"""Admin pages render with data; reset and close-gap actions; read-only audit; permissions."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from controlnumbers.models import (
    AuditStatus,
    ControlNumberAlert,
    ControlNumberAudit,
    ControlNumberCounter,
)
from controlnumbers.services import numbers_mark_failed
from tests.controlnumbers.helpers import envelope, lose_numbers
from tests.factories import TradingPartnerFactory

pytestmark = pytest.mark.django_db

COUNTERS = "/admin/controlnumbers/controlnumbercounter/"
AUDIT = "/admin/controlnumbers/controlnumberaudit/"
GAPS = "/admin/controlnumbers/controlnumbercounter/gaps/"


@pytest.fixture
def data():
    TradingPartnerFactory(code="PARTNERA")
    envs = [envelope(st_count=2) for _ in range(3)]
    numbers_mark_failed(outbound_file_id=envs[1].outbound_file_id, reason="disk full")
    lose_numbers("ISA", 7)
    envs.append(envelope())
    return envs


def _isa() -> ControlNumberCounter:
    return ControlNumberCounter.objects.get(counter_type="ISA")


def test_counter_list_shows_utilization_bar_and_status_badge(admin_client_logged_in, data):
    ControlNumberCounter.objects.filter(counter_type="GS").update(current_value=960_000_000)
    response = admin_client_logged_in.get(COUNTERS)
    assert response.status_code == 200
    body = response.content.decode()
    assert "PARTNERA" in body and "CRITICAL" in body and "OK" in body
    assert "96.00 %" in body
    assert "Gap report" in body


def test_counter_list_filters(admin_client_logged_in, data):
    response = admin_client_logged_in.get(COUNTERS + "?counter_type__exact=ST")
    assert response.status_code == 200
    assert response.context["cl"].result_count == 1


def test_audit_list_is_read_only(admin_client_logged_in, data):
    response = admin_client_logged_in.get(AUDIT)
    assert response.status_code == 200
    assert b"FAILED" in response.content
    assert admin_client_logged_in.get(AUDIT + "add/").status_code == 403
    row = ControlNumberAudit.objects.first()
    change = admin_client_logged_in.post(f"{AUDIT}{row.id}/change/", {"notes": "edited"})
    assert change.status_code in (403, 200)  # view-only page at most
    assert admin_client_logged_in.post(f"{AUDIT}{row.id}/delete/").status_code == 403
    row.refresh_from_db()
    assert row.notes == ""


def test_audit_search_by_number_and_by_outbound_file_id(admin_client_logged_in, data):
    by_number = admin_client_logged_in.get(AUDIT + "?q=11")  # ISA13 after 7 lost numbers
    assert {r.number for r in by_number.context["cl"].result_list} == {11}
    file_id = data[0].outbound_file_id
    by_file = admin_client_logged_in.get(f"{AUDIT}?q={file_id}")
    assert {r.outbound_file_id for r in by_file.context["cl"].result_list} == {file_id}
    assert len(by_file.context["cl"].result_list) == 4


def test_audit_filters_by_status_and_partner(admin_client_logged_in, data):
    response = admin_client_logged_in.get(AUDIT + "?status__exact=FAILED&partner=PARTNERA")
    rows = response.context["cl"].result_list
    assert rows and {r.status for r in rows} == {AuditStatus.FAILED}


def test_gap_report_page_shows_both_kinds_with_severity_colours(admin_client_logged_in, data):
    response = admin_client_logged_in.get(GAPS)
    assert response.status_code == 200
    body = response.content.decode()
    assert "severity-critical" in body and "kind-unexplained" in body
    assert "kind-documented" in body
    assert "#c62828" in body  # CRITICAL colour
    assert 'id="gap-totals"' in body
    filtered = admin_client_logged_in.get(GAPS + "?partner=PARTNERA&counter_type=ST&days=7")
    assert [g.counter_type for g in filtered.context["report"].gaps] == ["ST"]


def test_gap_report_links_to_audit_rows(admin_client_logged_in, data):
    response = admin_client_logged_in.get(GAPS + "?counter_type=ISA")
    link = response.context["rows"][0]["audit_url"]
    assert admin_client_logged_in.get(link).status_code == 200


def test_gap_report_csv_download(admin_client_logged_in, data):
    response = admin_client_logged_in.get(GAPS + "?format=csv&counter_type=ISA")
    assert response["Content-Type"].startswith("text/csv")
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0].startswith("partner,transaction_type,counter_type,epoch,first_number")
    assert any(",unexplained,CRITICAL," in line for line in lines[1:])
    assert any(",documented,MINOR," in line for line in lines[1:])


def test_gap_report_needs_admin_login(client, data):
    response = client.get(GAPS)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_reset_action_confirmation_then_reset(admin_client_logged_in, data):
    counter = _isa()
    first = admin_client_logged_in.post(
        COUNTERS, {"action": "reset_counter", "_selected_action": [counter.id]}
    )
    assert first.status_code == 200
    body = first.content.decode()
    assert 'id="confirm-warning"' in body and "epoch" in body and 'name="reason"' in body
    counter.refresh_from_db()
    assert counter.current_value == 11  # nothing changed yet
    refused = admin_client_logged_in.post(
        COUNTERS,
        {
            "action": "reset_counter",
            "_selected_action": [counter.id],
            "confirm": "yes",
            "new_value": "3",
            "reason": "test",
        },
    )
    assert refused.status_code == 200 and "re-issue numbers" in refused.content.decode()
    done = admin_client_logged_in.post(
        COUNTERS,
        {
            "action": "reset_counter",
            "_selected_action": [counter.id],
            "confirm": "yes",
            "new_value": "3",
            "reason": "agreed rollover",
            "rollover": "on",
        },
        follow=True,
    )
    assert done.status_code == 200
    assert "set to 3" in done.content.decode()
    counter.refresh_from_db()
    assert (counter.current_value, counter.epoch) == (3, 2)
    reset_row = ControlNumberAudit.objects.get(status=AuditStatus.RESET)
    assert reset_row.actor == "ops-admin"


def test_reset_action_refused_without_the_permission(client, django_user_model, data):
    clerk = django_user_model.objects.create_user("clerk", password="pw", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_controlnumbercounter"))
    client.force_login(clerk)
    listing = client.get(COUNTERS)
    assert listing.status_code == 200
    assert b"reset_counter" not in listing.content  # the action is not offered
    counter = _isa()
    client.post(
        COUNTERS,
        {
            "action": "reset_counter",
            "_selected_action": [counter.id],
            "confirm": "yes",
            "new_value": "500",
            "reason": "sneaky",
        },
    )
    counter.refresh_from_db()
    assert (counter.current_value, counter.epoch) == (11, 1)
    assert not ControlNumberAudit.objects.filter(status=AuditStatus.RESET).exists()


# Closing a gap whose file outbound wrote: tests/outbound/test_close_gap.py (real writer).


def test_close_gap_leaves_numbers_failed_when_no_file_is_found(
    admin_client_logged_in, data, settings, tmp_path
):
    settings.STORAGES = {
        **settings.STORAGES,
        "outbound": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    ids = list(
        ControlNumberAudit.objects.filter(status=AuditStatus.FAILED).values_list("id", flat=True)
    )
    admin_client_logged_in.post(
        AUDIT, {"action": "close_gap", "_selected_action": ids, "confirm": "yes"}
    )
    assert set(ControlNumberAudit.objects.filter(id__in=ids).values_list("status", flat=True)) == {
        AuditStatus.FAILED
    }


def test_alert_list_renders(admin_client_logged_in, data):
    from controlnumbers.services import gap_alerts_refresh

    gap_alerts_refresh(days=30)
    assert ControlNumberAlert.objects.exists()
    response = admin_client_logged_in.get("/admin/controlnumbers/controlnumberalert/?state=open")
    assert response.status_code == 200
    assert b"unexplained gap of 7" in response.content


def test_counter_and_audit_detail_pages_render_read_only(admin_client_logged_in, data):
    counter = _isa()
    page = admin_client_logged_in.get(f"{COUNTERS}{counter.id}/change/")
    assert page.status_code == 200
    assert b'name="current_value"' not in page.content  # displayed, not editable
    row = ControlNumberAudit.objects.filter(status=AuditStatus.FAILED).first()
    page = admin_client_logged_in.get(f"{AUDIT}{row.id}/change/")
    assert page.status_code == 200 and b"disk full" in page.content
    assert b'name="notes"' not in page.content
