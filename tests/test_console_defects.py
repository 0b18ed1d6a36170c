"""The defects found when the admin was tried as a new user (issue 20), one test each (the
scheduler ones are in tests/edi_platform/core/test_scheduler_truth.py, the layout ones in
the browser tests)."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone

from controlnumbers.admin import AuditPartnerFilter, ControlNumberAuditAdmin
from controlnumbers.models import ControlNumberAudit, ControlNumberCounter
from eventstore.inbound.services.ingest import ingest_bytes
from eventstore.ledger.services.reversal import batch_reverse
from eventstore.models import Enrollment, Member, TransactionBatch, TransactionHeader
from outbound.models import BatchWindow, OutboundFile, ProcessingOutcome
from outbound.services.demo import demo_loop
from tests.eventstore.inbound.samples import inbound_storage as inbound_storage_dir  # noqa: F401
from tests.eventstore.inbound.samples import onboard_partner, sample
from tests.support.console import installation

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("inbound_storage_dir")]


def body(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def messages_of(response) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def reversed_family():
    found = installation()
    record = batch_reverse(batch_id=found.batches["family"], reason="sent twice", acting_user=None)
    return found, record


# -- "Download raw file (PHI)" on a reversal's system batch: HTTP 500 ----------------------


def test_a_batch_without_a_file_offers_no_download_and_answers_404(
    admin_client_logged_in, reversed_family
):
    _, record = reversed_family
    page = admin_client_logged_in.get(
        reverse("admin:eventstore_transactionbatch_change", args=[record.reversal_batch_id])
    )
    assert 'id="raw-download"' not in page.content.decode()
    raw = admin_client_logged_in.get(
        reverse("admin:eventstore_transactionbatch_raw", args=[record.reversal_batch_id])
    )
    assert raw.status_code == 404


# -- a reversed batch says so; the reversal batch says what it is ---------------------------


def test_a_reversed_batch_names_its_reversal_on_its_page_and_in_the_list(
    admin_client_logged_in, reversed_family
):
    found, record = reversed_family
    page = admin_client_logged_in.get(
        reverse("admin:eventstore_transactionbatch_change", args=[found.batches["family"]])
    ).content.decode()
    assert 'id="batch-reversed"' in page and f"reversal batch {record.reversal_batch_id}" in page
    assert "sent twice" in page
    listing = admin_client_logged_in.get(
        reverse("admin:eventstore_transactionbatch_changelist")
    ).content.decode()
    assert f"reversed by batch {record.reversal_batch_id}" in listing
    assert f"reversal of batch {found.batches['family']}" in listing


def test_the_reversal_batch_says_it_is_a_system_batch_not_an_unreadable_file(
    admin_client_logged_in, reversed_family
):
    _, record = reversed_family
    page = admin_client_logged_in.get(
        reverse("admin:eventstore_transactionbatch_change", args=[record.reversal_batch_id])
    ).content.decode()
    assert "No interchange could be read" not in page
    assert 'id="system-batch-note"' in page and 'id="batch-reverses"' in page


def test_the_reversal_confirmation_lists_the_members_and_coverages_that_change(
    admin_client_logged_in,
):
    found = installation()
    page = admin_client_logged_in.post(
        reverse("admin:eventstore_transactionbatch_changelist"),
        {"action": "reverse_batch_action", "_selected_action": [found.batches["family"]]},
    ).content.decode()
    details = page[page.index('id="confirm-details"') :]
    assert "3 members" in details
    for first in ("ZZQFIRSTNAME", "ZZQSPOUSE", "ZZQCHILD"):
        assert first in details
    assert "HLT Health" in details and "DEN Dental" in details
    assert "EnrollmentAdded × 2" in details


def test_without_view_member_the_confirmation_names_members_by_id_only(client, django_user_model):
    from django.contrib.auth.models import Permission

    found = installation()
    user = django_user_model.objects.create_user("rev", password="pw-rev-12345", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_transactionbatch", "reverse_batch"])
    )
    client.force_login(user)
    page = client.post(
        reverse("admin:eventstore_transactionbatch_changelist"),
        {"action": "reverse_batch_action", "_selected_action": [found.batches["family"]]},
    ).content.decode()
    assert "ZZQFIRSTNAME" not in page and "member m-" in page


def test_yes_reverse_is_disabled_when_nothing_can_be_reversed(
    admin_client_logged_in, reversed_family
):
    found, record = reversed_family
    page = admin_client_logged_in.post(
        reverse("admin:eventstore_transactionbatch_changelist"),
        {
            "action": "reverse_batch_action",
            "_selected_action": [found.batches["family"], record.reversal_batch_id],
        },
    ).content.decode()
    button = re.search(r'<input type="submit"[^>]*value="Yes, reverse"[^>]*>', page).group(0)
    assert "disabled" in button


# -- event details as JSON; the CSV is JSON too; the CSV link is visible; batch links -------


def test_event_details_are_json_on_the_page_and_in_the_csv(admin_client_logged_in):
    installation()
    member = Member.objects.get(first_name="ZZQCHILD")
    page = admin_client_logged_in.get(
        reverse("admin:eventstore_member_change", args=[member.pk])
    ).content.decode()
    assert "{'" not in page and "': " not in page  # no Python reprs
    assert '"relationship": "19"' in page.replace("&quot;", '"')
    csv_page = admin_client_logged_in.get(
        reverse("admin:eventstore_member_events", args=[member.pk]), {"format": "csv"}
    )
    rows = list(csv.DictReader(io.StringIO(body(csv_page))))
    assert rows and all(isinstance(json.loads(r["data"]), dict) for r in rows)


def test_the_timeline_csv_link_is_a_button_outside_the_coloured_header(admin_client_logged_in):
    installation()
    member = Member.objects.get(first_name="ZZQCHILD")
    page = admin_client_logged_in.get(
        reverse("admin:eventstore_member_change", args=[member.pk])
    ).content.decode()
    timeline = page[page.index('id="member-timeline"') :]
    header = timeline[: timeline.index("</h2>")]
    assert "CSV" not in header
    assert 'class="button csv-link" id="timeline-csv"' in timeline


def test_file_batch_cells_of_the_timeline_are_links(admin_client_logged_in):
    found = installation()
    member = Member.objects.get(first_name="ZZQCHILD")
    page = admin_client_logged_in.get(
        reverse("admin:eventstore_member_change", args=[member.pk])
    ).content.decode()
    url = reverse("admin:eventstore_transactionbatch_change", args=[found.batches["family"]])
    assert f'<a href="{url}" class="timeline-batch">family.834' in page


# -- run-now messages; read-only pages; batch windows; gap report --------------------------


def test_publish_without_redis_is_a_warning_not_a_success(admin_client_logged_in, settings):
    settings.OUTBOUND_REDIS_URL = None
    settings.CELERY_BROKER_URL = "memory://"
    response = admin_client_logged_in.post(
        reverse("admin:outbound_outboundfile_run", args=["publish"])
    )
    assert messages_of(response) == [
        ("warning", "Not published: no Redis configured (OUTBOUND_REDIS_URL)")
    ]


@pytest.mark.parametrize(
    "model",
    [OutboundFile, ProcessingOutcome, TransactionBatch],
    ids=lambda m: m._meta.model_name,
)
def test_read_only_record_pages_offer_no_save_and_change_nothing(admin_client_logged_in, model):
    installation()
    obj = model.objects.order_by("pk").first()
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    page = admin_client_logged_in.get(url).content.decode()
    assert 'name="_save"' not in page and 'name="_continue"' not in page
    before = model.objects.filter(pk=obj.pk).values().get()
    response = admin_client_logged_in.post(url, {"_save": "Save"})
    assert response.status_code == 302
    assert not any("successfully" in text for _, text in messages_of(response))
    assert model.objects.filter(pk=obj.pk).values().get() == before


def test_a_batch_size_of_zero_is_a_field_error_on_its_own_row(admin_client_logged_in):
    windows = list(BatchWindow.objects.order_by("priority", "response_type"))
    assert len(windows) >= 2
    data = {
        "form-TOTAL_FORMS": str(len(windows)),
        "form-INITIAL_FORMS": str(len(windows)),
        "_save": "Save",
    }
    for i, w in enumerate(windows):
        data.update(
            {
                f"form-{i}-id": str(w.pk),
                f"form-{i}-window_minutes": str(w.window_minutes),
                f"form-{i}-max_batch_size": "0" if i == 1 else str(w.max_batch_size),
                f"form-{i}-priority": str(w.priority),
                f"form-{i}-sla_minutes": "" if w.sla_minutes is None else str(w.sla_minutes),
                f"form-{i}-enabled": "on" if w.enabled else "",
            }
        )
    page = admin_client_logged_in.post(reverse("admin:outbound_batchwindow_changelist"), data)
    assert page.status_code == 200
    formset = page.context["cl"].formset
    assert formset.forms[1].errors == {
        "max_batch_size": ["Ensure this value is greater than or equal to 1."]
    }
    assert not formset.forms[0].errors
    assert "batchwindow_max_batch_size_min" not in page.content.decode()
    windows[1].refresh_from_db()
    assert windows[1].max_batch_size >= 1


def test_a_window_longer_than_its_sla_is_saved_with_a_warning(admin_client_logged_in):
    window = BatchWindow.objects.get(response_type="999")
    url = reverse("admin:outbound_batchwindow_change", args=[window.pk])
    response = admin_client_logged_in.post(
        url,
        {
            "response_type": "999",
            "window_minutes": "30",
            "max_batch_size": "100",
            "priority": str(window.priority),
            "sla_minutes": "15",
            "enabled": "on",
        },
    )
    assert response.status_code == 302
    levels = messages_of(response)
    assert any(
        level == "warning" and "longer than the SLA (15 min)" in text for level, text in levels
    )


def test_gap_report_with_days_zero_explains_the_error_and_shows_no_other_period(
    admin_client_logged_in,
):
    page = admin_client_logged_in.get(reverse("admin:controlnumbers_gap_report"), {"days": "0"})
    html = page.content.decode()
    errors = html[html.index('id="gap-filter-errors"') :]
    assert "greater than or equal to 1" in errors[: errors.index("</div>")]
    assert 'id="gap-period"' not in html  # no "last 30 days" under a form that says 0


# -- labels, headings, lists -----------------------------------------------------------------


def test_codes_are_shown_with_their_meaning(admin_client_logged_in):
    installation()
    members = admin_client_logged_in.get(reverse("admin:eventstore_member_changelist"))
    html = members.content.decode()
    for label in ("18 Self", "01 Spouse", "19 Child"):
        assert label in html
    member = Member.objects.get(first_name="ZZQSPOUSE")
    page = admin_client_logged_in.get(
        reverse("admin:eventstore_member_change", args=[member.pk])
    ).content.decode()
    assert "A Active" in page and "28 Initial Enrollment" in page and "HLT Health" in page


def test_a_member_page_is_headed_by_the_person_not_the_hashed_id(admin_client_logged_in):
    installation()
    member = Member.objects.get(first_name="ZZQCHILD")
    page = admin_client_logged_in.get(
        reverse("admin:eventstore_member_change", args=[member.pk])
    ).content.decode()
    heading = re.search(r"<h1>(.*?)</h1>", page).group(1)
    assert "ZZQLASTNAME, ZZQCHILD" in heading and member.pk[:14] not in heading


def test_enrollment_rows_of_one_family_say_whose_they_are(admin_client_logged_in):
    installation()
    page = admin_client_logged_in.get(reverse("admin:eventstore_enrollment_changelist"))
    html = page.content.decode()
    rows = re.findall(r"<tr>.*?</tr>", html, flags=re.S)
    health = [r for r in rows if "HLT Health" in r and "PHISUB0042" in r]
    assert len(health) == 3 and len(set(health)) == 3
    assert all("ZZQ" in r for r in health)
    assert Enrollment.objects.count() >= 6


def test_owed_outcomes_are_listed_first(admin_client_logged_in):
    found = installation()
    pending = ProcessingOutcome.objects.filter(batch_id=found.batches["family"]).first()
    # owed and due in five minutes: the newest due time of all (the others went out)
    ProcessingOutcome.objects.filter(pk=pending.pk).update(
        status="PENDING", outbound_file=None, due_at=timezone.now() + timedelta(minutes=5)
    )
    page = admin_client_logged_in.get(reverse("admin:outbound_processingoutcome_changelist"))
    first = page.context["cl"].result_list[0]
    assert first.pk == pending.pk


def test_report_times_have_no_microseconds(admin_client_logged_in):
    installation()
    for slug in ("event-stream", "batch-summary", "event-types", "projection-lag"):
        url = reverse("reports:report", args=[slug])
        html = admin_client_logged_in.get(url).content.decode()
        assert not re.search(r"\d{2}:\d{2}:\d{2}\.\d+", html), slug
        csv_text = body(admin_client_logged_in.get(url, {"format": "csv"}))
        assert not re.search(r"\d{2}:\d{2}:\d{2}\.\d+", csv_text), slug


def test_labels_read_like_english_and_x12(admin_client_logged_in):
    found = installation()
    listing = admin_client_logged_in.get(
        reverse("admin:eventstore_transactionbatch_changelist")
    ).content.decode()
    assert "Transaction batches" in listing and "Transaction batchs" not in listing
    headers = admin_client_logged_in.get(
        reverse("admin:eventstore_transactionheader_changelist")
    ).content.decode()
    assert "By ST01" in headers and "By st01" not in headers
    obj = TransactionHeader.objects.filter(batch_id=found.batches["claims"]).first()
    page = admin_client_logged_in.get(
        reverse("admin:eventstore_transactionheader_change", args=[obj.pk])
    ).content.decode()
    assert "GS06:" in page and "ISA13:" in page
    assert "Gs06:" not in page and "Isa13:" not in page


def test_the_audit_partner_filter_lists_each_partner_once(admin_client_logged_in, rf):
    installation()
    assert ControlNumberCounter.objects.values("partner_code").distinct().count() >= 1
    assert ControlNumberAudit.objects.exists()
    request = rf.get("/")
    request.user = None
    model_admin = ControlNumberAuditAdmin(ControlNumberAudit, None)
    lookups = AuditPartnerFilter(request, {}, ControlNumberAudit, model_admin).lookups(
        request, model_admin
    )
    codes = [code for code, _ in lookups]
    assert len(codes) == len(set(codes))


def test_there_is_a_favicon(client):
    html = client.get(reverse("admin:login")).content.decode()
    icon = re.search(r'<link rel="icon"[^>]*href="([^"]+)"', html).group(1)
    assert icon == static("console/favicon.svg")
    assert finders.find("console/favicon.svg")  # collected and served like every static file
    redirect = client.get("/favicon.ico")
    assert redirect.status_code in (301, 302) and redirect["Location"] == icon


# -- a second `make run`: the demo step claims nothing but its own files -------------------


def test_loading_the_demo_again_assembles_nothing_of_the_real_files(settings):
    demo_loop()  # the first `make run`
    onboard_partner(ta1_policy="never")
    real = ingest_bytes(data=sample(isa13="000000909"), original_name="real.834")
    owed = ProcessingOutcome.objects.filter(batch_id=real.batch, status="PENDING")
    assert owed.exists() and all(o.due_at > timezone.now() for o in owed)
    result = demo_loop()  # the second `make run`
    assert "nothing assembled" in result.summary
    assert set(owed.values_list("status", flat=True)) == {"PENDING"}
