"""Admin screens: files (preview, download, links), quarantine + Reprocess, pending outcomes
against SLA, outbox + dead letters + Resubmit, editable batch windows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from outbound.models import (
    BatchWindow,
    OperatorAction,
    OutboundFile,
    OutboundFileStatus,
    OutboxMessage,
    OutboxStatus,
    ProcessingOutcome,
)
from outbound.services import assembly
from outbound.services.assembly import outbound_assemble
from tests.factories import TradingPartnerFactory
from tests.outbound.conftest import stage

pytestmark = pytest.mark.django_db


@pytest.fixture
def assembled():
    partner = TradingPartnerFactory()
    stage(partner, "999", 2)
    outbound_assemble()
    return OutboundFile.objects.get()


@pytest.mark.parametrize(
    "name",
    [
        "outbound_outboundfile_changelist",
        "outbound_quarantinedfile_changelist",
        "outbound_processingoutcome_changelist",
        "outbound_outboxmessage_changelist",
        "outbound_deadletter_changelist",
        "outbound_batchwindow_changelist",
        "outbound_operatoraction_changelist",
    ],
)
def test_every_outbound_list_renders(admin_client_logged_in, assembled, name):
    response = admin_client_logged_in.get(reverse(f"admin:{name}"))
    assert response.status_code == 200
    shown = response.context["cl"].result_list
    expected = {
        "outbound_outboundfile_changelist": 1,  # the assembled file
        "outbound_quarantinedfile_changelist": 0,  # nothing quarantined
        "outbound_processingoutcome_changelist": 2,  # its two outcomes
        "outbound_outboxmessage_changelist": 1,  # its 'file ready' message
        "outbound_deadletter_changelist": 0,
        "outbound_operatoraction_changelist": 0,
    }
    if name in expected:
        assert len(shown) == expected[name], name
    else:  # batch windows: one per response type the registry knows, at least
        from outbound.responders import response_types

        assert {w.response_type for w in shown} >= set(response_types())


def test_file_page_previews_one_segment_per_line_and_links_download(
    admin_client_logged_in, assembled
):
    url = reverse("admin:outbound_outboundfile_change", args=[assembled.pk])
    page = admin_client_logged_in.get(url).content.decode()
    assert "ISA*00*" in page and "\nGS*FA*" in page and "\nIEA*1*" in page
    download = reverse("admin:outbound_outboundfile_download", args=[assembled.pk])
    assert download in page
    response = admin_client_logged_in.get(download)
    assert response.status_code == 200
    assert assembled.file_name in response["Content-Disposition"]
    assert b"".join(response.streaming_content).startswith(b"ISA*00*")


def test_file_page_links_to_its_control_number_audit_rows(admin_client_logged_in, assembled):
    page = admin_client_logged_in.get(
        reverse("admin:outbound_outboundfile_change", args=[assembled.pk])
    ).content.decode()
    audit = reverse("admin:controlnumbers_controlnumberaudit_changelist") + f"?q={assembled.pk}"
    assert audit in page
    response = admin_client_logged_in.get(audit)
    assert response.status_code == 200
    numbers = {row.number for row in response.context["cl"].result_list}
    assert numbers == {assembled.isa13, assembled.gs06, *assembled.st02s}


def test_file_search_finds_a_file_by_its_isa13(admin_client_logged_in, assembled):
    url = reverse("admin:outbound_outboundfile_changelist")
    stage(TradingPartnerFactory(), "999", 1)
    outbound_assemble()  # another partner's file, ISA13 1 as well
    response = admin_client_logged_in.get(url, {"q": assembled.partner.code})
    assert response.context["cl"].result_count == 1
    response = admin_client_logged_in.get(url, {"q": f"_{assembled.isa13:09d}_"})
    assert response.context["cl"].result_count == 2
    assert admin_client_logged_in.get(url, {"q": "_000000077_"}).context["cl"].result_count == 0


def test_pending_outcomes_show_age_against_sla_and_highlight_breaches(admin_client_logged_in):
    partner = TradingPartnerFactory(code="LATE")
    [old] = stage(partner, "999", 1)
    ProcessingOutcome.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(minutes=40)
    )
    stage(TradingPartnerFactory(code="FRESH"), "TA1", 1)
    url = reverse("admin:outbound_processingoutcome_changelist")
    page = admin_client_logged_in.get(url).content.decode()
    assert "Pending by partner and response type" in page
    assert page.count("SLA 15 min breached") >= 1  # the 40-minute-old 999
    assert "SLA 5 min breached" not in page  # the fresh TA1 is within its SLA
    csv_response = admin_client_logged_in.get(url, {"format": "pending-csv"})
    csv_text = b"".join(csv_response.streaming_content).decode()
    assert "LATE,999,1,40,15,True" in csv_text and "FRESH,TA1,1,0,5,False" in csv_text


def test_batch_windows_are_editable_in_the_list(admin_client_logged_in):
    window = BatchWindow.objects.get(response_type="999")
    url = reverse("admin:outbound_batchwindow_change", args=[window.pk])
    response = admin_client_logged_in.post(
        url,
        {
            "response_type": "999",
            "window_minutes": 10,
            "max_batch_size": 50,
            "priority": 30,
            "sla_minutes": 15,
            "enabled": "on",
        },
    )
    assert response.status_code == 302
    window.refresh_from_db()
    assert (window.window_minutes, window.max_batch_size) == (10, 50)


def test_reprocess_action_asks_for_confirmation_then_reassembles(
    admin_client_logged_in, monkeypatch
):
    real = assembly.render_file
    monkeypatch.setattr(assembly, "render_file", lambda f: real(f).replace(b"SE*6*", b"SE*9*"))
    stage(TradingPartnerFactory(), "999", 1)
    outbound_assemble()
    monkeypatch.undo()
    quarantined = OutboundFile.objects.get(status=OutboundFileStatus.QUARANTINED)
    url = reverse("admin:outbound_quarantinedfile_changelist")
    data = {"action": "reprocess", "_selected_action": [str(quarantined.pk)]}
    page = admin_client_logged_in.post(url, data)
    assert page.status_code == 200 and b"NEW control" in page.content
    assert OutboundFile.objects.count() == 1  # nothing done before confirming
    response = admin_client_logged_in.post(url, {**data, "confirm": "yes", "reason": "fixed"})
    assert response.status_code == 302
    new = OutboundFile.objects.get(reprocessed_from=quarantined)
    assert new.status == OutboundFileStatus.PERSISTED
    assert OperatorAction.objects.get().actor == "ops-admin"


def test_resubmit_action_puts_a_dead_letter_back(admin_client_logged_in, assembled):
    OutboxMessage.objects.update(
        status=OutboxStatus.DEAD, last_error="ConnectionError", attempts=10
    )
    message = OutboxMessage.objects.get()
    url = reverse("admin:outbound_deadletter_changelist")
    data = {"action": "resubmit", "_selected_action": [str(message.pk)]}
    assert b"ConnectionError" in admin_client_logged_in.get(url).content
    admin_client_logged_in.post(url, data)
    admin_client_logged_in.post(url, {**data, "confirm": "yes", "reason": "redis back"})
    message.refresh_from_db()
    assert message.status == OutboxStatus.PENDING and message.attempts == 0


def test_run_now_button_assembles_due_outcomes(admin_client_logged_in):
    stage(TradingPartnerFactory(), "999", 2)
    url = reverse("admin:outbound_outboundfile_run", args=["assemble"])
    response = admin_client_logged_in.post(url)
    assert response.status_code == 302
    assert OutboundFile.objects.filter(status=OutboundFileStatus.PERSISTED).count() == 1


def test_eager_mode_shows_the_schedules_banner(admin_client_logged_in, settings):
    settings.CELERY_EAGER = True
    page = admin_client_logged_in.get(reverse("admin:outbound_outboundfile_changelist"))
    assert b"scheduler-banner" in page.content
