"""The admin in a real browser (Debian's chromium through Playwright), as an analyst uses it:
log in; upload a file, find its 999 from the batch page and download it; reset a counter
through its confirmation; the gap report and its CSV; a member's history; reverse a batch;
the dashboard's numbers open the lists they count; the search box finds a file by ISA13;
every list fits 1,366 px; the outbound files title is not covered by its buttons."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from django.urls import reverse

from controlnumbers.models import AuditStatus, ControlNumberAudit, ControlNumberCounter
from eventstore.models import BatchReversal, Member, TransactionBatch
from tests.eventstore.inbound.samples import FIXTURES, onboard_partner
from tests.eventstore.inbound.samples import inbound_storage as inbound_storage_dir  # noqa: F401
from tests.support.console import installation

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("inbound_storage_dir"),
]


SCROLL_WIDTH = """Math.max(document.documentElement.scrollWidth, ...Array.from(
    document.querySelectorAll('*')).filter(e => ['auto', 'scroll'].includes(
    getComputedStyle(e).overflowX)).map(e => e.scrollWidth - e.clientWidth + window.innerWidth))"""


def first_number(text: str) -> int:
    return int(re.search(r"\d[\d,]*", text).group(0).replace(",", ""))


def run_action(page, object_id, action: str) -> None:
    page.check(f'input[name="_selected_action"][value="{object_id}"]')
    page.select_option('select[name="action"]', action)
    page.click('button[name="index"]')


def test_an_analyst_logs_in_and_lands_on_the_dashboard(page, superuser):
    page.goto("/admin/")
    assert "/admin/login/" in page.url
    page.fill("#id_username", "analyst")
    page.fill("#id_password", "pw-analyst-12345")
    page.click('input[type="submit"]')
    page.wait_for_selector("#console-dashboard")
    assert page.inner_text("h1") == "Operations dashboard"


def test_upload_a_file_then_find_and_download_its_999_from_the_batch_page(logged_in, tmp_path):
    onboard_partner(ta1_policy="never")
    page = logged_in
    page.goto(reverse("admin:eventstore_transactionbatch_changelist"))
    page.click("text=Upload files")
    source = tmp_path / "enrollment.834"
    source.write_bytes((FIXTURES / "834_valid.x12").read_bytes())
    page.set_input_files('input[name="files"]', str(source))
    page.click('input[value="Upload and ingest"]')
    assert "enrollment.834: accepted as batch" in page.inner_text(".messagelist li.success").lower()
    # the 999 waits for its window: assemble now, from the outbound files page
    page.goto(reverse("admin:outbound_outboundfile_changelist"))
    page.click("text=Assemble all pending (ignore windows)")
    assert "1 file(s) persisted" in page.inner_text(".messagelist li.success")
    batch = TransactionBatch.objects.get(original_name="enrollment.834")
    page.goto(reverse("admin:eventstore_transactionbatch_change", args=[batch.pk]))
    row = page.locator('#batch-responses tr[data-type="999"]')
    assert "Assembled" in row.inner_text()
    with page.expect_download() as download:
        row.locator("a.response-download").click()
    data = Path(download.value.path()).read_bytes()
    assert b"ST*999*" in data and b"AK1*BE*1" in data
    row.locator("a.response-file").click()
    page.wait_for_load_state()  # the click waits for the navigation to commit, not to load
    assert "Answers inbound batch" in page.content() or "enrollment.834" in page.content()


def test_reset_a_counter_through_its_confirmation(logged_in):
    installation()
    counter = ControlNumberCounter.objects.filter(counter_type="ISA").first()
    page = logged_in
    page.goto(reverse("admin:controlnumbers_controlnumbercounter_changelist"))
    run_action(page, counter.pk, "reset_counter")
    page.wait_for_selector("#confirm-rows")
    page.fill('input[name="new_value"]', str(counter.current_value + 100))
    page.fill('textarea[name="reason"]', "partner asked to skip ahead (ticket 42)")
    page.click('input[value="Reset counter"]')
    assert "the next number issued is" in page.inner_text(".messagelist li.success")
    counter.refresh_from_db()
    assert counter.epoch == 2
    assert ControlNumberAudit.objects.filter(counter=counter, status=AuditStatus.RESET).exists()


def test_open_the_gap_report_and_download_its_csv(logged_in):
    installation()
    page = logged_in
    page.goto(reverse("admin:controlnumbers_controlnumbercounter_changelist"))
    page.click("text=Gap report")
    page.wait_for_selector("#gap-totals")
    with page.expect_download() as download:
        page.click("#gap-csv")
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text())))
    assert rows[0][:3] == ["kind", "severity", "partner"] or "severity" in rows[0]


def test_read_a_members_history(logged_in):
    found = installation()
    member = Member.objects.get(first_name="ZZQCHILD")
    page = logged_in
    page.goto(reverse("admin:eventstore_member_changelist"))
    page.click(f'a[href*="{member.pk}"]')
    assert "ZZQLASTNAME, ZZQCHILD" in page.inner_text("h1")
    timeline = page.locator("#member-timeline")
    assert "MemberAdded" in timeline.inner_text()
    assert '"relationship": "19"' in timeline.inner_text()
    csv_link = page.locator("#timeline-csv")
    assert csv_link.is_visible()
    colour = csv_link.evaluate("e => getComputedStyle(e).color")
    background = csv_link.evaluate("e => getComputedStyle(e).backgroundColor")
    assert colour != background
    with page.expect_download() as download:
        csv_link.click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    assert all(isinstance(json.loads(r["data"]), dict) for r in rows)
    page.click("a.timeline-batch")
    assert f"/transactionbatch/{found.batches['family']}/change/" in page.url


def test_reverse_a_batch(logged_in):
    found = installation()
    family = found.batches["family"]
    page = logged_in
    page.goto(reverse("admin:eventstore_transactionbatch_changelist"))
    run_action(page, family, "reverse_batch_action")
    details = page.inner_text("#confirm-details")
    assert "ZZQSPOUSE" in details and "DEN Dental" in details
    page.fill('textarea[name="reason"]', "the sponsor sent last month's file")
    page.click('input[value="Yes, reverse"]')
    assert "reversed" in page.inner_text(".messagelist li.success")
    record = BatchReversal.objects.get(batch_id=family)
    page.goto(reverse("admin:eventstore_transactionbatch_change", args=[family]))
    assert "Reversed by reversal batch" in page.inner_text("#batch-reversed")
    page.click("#batch-reversed a >> nth=0")
    assert f"/{record.reversal_batch_id}/change/" in page.url
    assert page.locator("#raw-download").count() == 0
    assert "created by the platform" in page.inner_text("#system-batch-note")
    # nothing left to reverse: the button is disabled
    page.goto(reverse("admin:eventstore_transactionbatch_changelist"))
    run_action(page, family, "reverse_batch_action")
    assert page.locator('input[value="Yes, reverse"]').is_disabled()


def test_the_dashboard_numbers_open_the_lists_they_count(logged_in):
    installation(assemble=False)
    page = logged_in
    page.goto(reverse("admin:index"))
    links = page.eval_on_selector_all(
        "#console-dashboard a",
        "els => els.filter(e => /^\\s*\\d+\\s*$/.test(e.textContent))"
        ".map(e => [e.getAttribute('href'), e.textContent.trim()])",
    )
    assert len(links) >= 15
    checked = 0
    for href, number in links:
        page.goto(href)
        counter = page.locator("#changelist .paginator")
        if not counter.count():
            continue
        assert first_number(counter.inner_text()) == int(number), href
        checked += 1
    assert checked >= 15


def test_the_search_box_finds_a_file_by_its_isa13(logged_in):
    found = installation()
    page = logged_in
    page.goto(reverse("admin:index"))
    page.fill("#console-search-q", "701")
    page.press("#console-search-q", "Enter")
    page.wait_for_selector("#console-results")
    page.click("#results-inbound-files a.search-hit")
    assert f"/transactionbatch/{found.batches['claims']}/change/" in page.url
    page.wait_for_load_state()
    assert "claims.837" in page.content()


def test_every_list_fits_1366_pixels(logged_in):
    installation()
    page = logged_in
    page.goto(reverse("admin:index"))
    lists = page.eval_on_selector_all(
        "#console-records a", "els => els.map(e => e.getAttribute('href'))"
    )
    member = Member.objects.order_by("pk").first()
    pages = [
        *[href for href in dict.fromkeys(lists) if not href.endswith("/add/")],
        *[reverse("reports:report", args=[s]) for s in ("event-stream", "batch-summary")],
        reverse("admin:eventstore_member_change", args=[member.pk]),
        reverse("admin:index"),
    ]
    too_wide = []
    for href in pages:
        page.goto(href)
        # the page itself, and every box that would scroll sideways (the list's .results)
        width = page.evaluate(SCROLL_WIDTH)
        if width > 1366:
            too_wide.append((href, width))
    assert too_wide == []


def test_the_outbound_files_title_is_not_covered_by_its_buttons(logged_in):
    installation()
    page = logged_in
    page.goto(reverse("admin:outbound_outboundfile_changelist"))
    title = page.locator("#content h1").bounding_box()
    for index in range(page.locator(".object-tools li").count()):
        box = page.locator(".object-tools li").nth(index).bounding_box()
        overlap = not (
            box["x"] >= title["x"] + title["width"]
            or box["x"] + box["width"] <= title["x"]
            or box["y"] >= title["y"] + title["height"]
            or box["y"] + box["height"] <= title["y"]
        )
        assert not overlap, index
    # the whole title is readable
    assert page.locator("#content h1").inner_text() == "Select outbound file to change"


def test_publish_now_without_redis_is_a_warning(logged_in, settings):
    settings.OUTBOUND_REDIS_URL = None
    settings.CELERY_BROKER_URL = "memory://"
    page = logged_in
    page.goto(reverse("admin:outbound_outboundfile_changelist"))
    page.click("text=Publish outbox now")
    assert page.locator(".messagelist li.success").count() == 0
    assert "no Redis configured" in page.inner_text(".messagelist li.warning")
