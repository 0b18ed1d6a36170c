"""The home dashboard (the admin index): the apps' tiles, every number linking to the
filtered list that has exactly that many rows, alerts first, tiles by permission, a tile
that fails never takes the page down."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from edi_platform.core import dashboard
from edi_platform.core.dashboard import Bar, Chart, Panel, Tile, chart_svg, register_tile
from eventstore.models import BatchStatus, TransactionBatch
from outbound.models import OutboxMessage, OutboxStatus, ProcessingOutcome
from tests.eventstore.inbound.samples import inbound_storage as inbound_storage_dir  # noqa: F401
from tests.support.console import installation

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("inbound_storage_dir")]

NUMBER_LINK = re.compile(r'<a href="([^"]+)"[^>]*>\s*(\d+)\s*</a>')


def linked_numbers(html: str) -> list[tuple[str, int]]:
    start = html.index('id="console-dashboard"')
    end = html.index('id="all-records"')
    return [(unescape(url), int(n)) for url, n in NUMBER_LINK.findall(html[start:end])]


def test_every_number_opens_the_list_with_that_many_rows(admin_client_logged_in):
    installation(assemble=False)  # 999s stay owed: the SLA tile has rows too
    page = admin_client_logged_in.get(reverse("admin:index"))
    assert page.status_code == 200
    html = page.content.decode()
    links = linked_numbers(html)
    checked = 0
    for url, number in links:
        target = admin_client_logged_in.get(url)
        assert target.status_code == 200, url
        if target.context is None or "cl" not in target.context:
            continue  # a report or a page without a count
        assert target.context["cl"].result_count == number, (url, number)
        checked += 1
    assert checked >= 20  # received, accepted, per partner and type, owed, sent, ...


def test_the_tiles_show_what_happened(admin_client_logged_in):
    installation()
    html = admin_client_logged_in.get(reverse("admin:index")).content.decode()
    for tile in (
        "inbound-received",
        "inbound-per-hour",
        "inbound-backlog",
        "outbound-owed",
        "outbound-sent",
        "outbound-delivery",
        "control-numbers",
        "ledger-lag",
        "scheduler",
        "reports",
    ):
        assert f'id="tile-{tile}"' in html, tile
    assert "<svg" in html and "Files received per hour" in html  # charts, inline
    assert "cdn" not in html.lower()
    assert "Event type statistics" in html  # the reports are linked from the home page
    received = TransactionBatch.objects.exclude(channel="system").count()
    assert re.search(rf">\s*{received}\s*</a>\s*</span><span class=\"label\">received today", html)


def test_breaches_and_open_alerts_come_first(admin_client_logged_in):
    installation(assemble=False)
    ProcessingOutcome.objects.update(created_at="2020-01-01T00:00:00Z")  # every SLA breached
    OutboxMessage.objects.all().delete()
    html = admin_client_logged_in.get(reverse("admin:index")).content.decode()
    alerts = html[html.index('id="console-alerts"') : html.index('id="console-dashboard"')]
    assert "past their SLA" in alerts
    assert alerts.index("past their SLA") < alerts.index("unknown senders")  # bad before warn
    owed = html[html.index('id="tile-outbound-owed"') :]
    assert "lvl-bad" in owed[: owed.index("</section>")]


def test_tiles_follow_permissions(client, django_user_model):
    installation()
    user = django_user_model.objects.create_user(
        "inbound-only", password="pw-x-1234", is_staff=True
    )
    user.user_permissions.add(Permission.objects.get(codename="view_transactionbatch"))
    client.force_login(user)
    html = client.get(reverse("admin:index")).content.decode()
    assert 'id="tile-inbound-received"' in html
    assert 'id="tile-outbound-owed"' not in html and 'id="tile-control-numbers"' not in html


def test_a_failing_tile_is_reported_on_the_page_not_a_server_error(
    admin_client_logged_in, monkeypatch
):
    monkeypatch.setattr(dashboard, "_tiles", dict(dashboard._tiles))

    def broken(ctx):
        raise RuntimeError("boom with data 19610203")

    register_tile(Tile(slug="broken", title="Broken", order=0, permissions=(), build=broken))
    page = admin_client_logged_in.get(reverse("admin:index"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "could not be computed (RuntimeError)" in html
    assert "19610203" not in html


def test_a_new_tile_is_one_registry_entry(admin_client_logged_in, monkeypatch):
    monkeypatch.setattr(dashboard, "_tiles", dict(dashboard._tiles))
    register_tile(
        Tile(
            slug="claims",
            title="Claims (277CA)",
            order=50,
            permissions=(),
            build=lambda ctx: Panel(charts=[Chart("c", [Bar("a", 3, url="/x/")])]),
        )
    )
    html = admin_client_logged_in.get(reverse("admin:index")).content.decode()
    assert 'id="tile-claims"' in html and 'href="/x/"' in html


def test_charts_are_inline_svg_with_linked_bars():
    svg = chart_svg(Chart("Per hour", [Bar("01h", 0), Bar("02h", 5, url="/l/?a=1&b=2")]))
    assert svg.startswith("<figure") and "<svg" in svg and 'href="/l/?a=1&amp;b=2"' in svg
    assert "Per hour" in svg and "(max 5)" in svg


def test_unfinished_failed_and_unknown_batches_are_counted(admin_client_logged_in):
    found = installation()
    TransactionBatch.objects.filter(pk=found.batches["more"]).update(status=BatchStatus.FAILED)
    html = admin_client_logged_in.get(reverse("admin:index")).content.decode()
    backlog = html[html.index('id="tile-inbound-backlog"') :]
    backlog = backlog[: backlog.index("</section>")]
    assert re.search(r">\s*1\s*</a>\s*</span><span class=\"label\">failed", backlog)
    assert "inbound batch(es) FAILED" in html
    assert OutboxMessage.objects.filter(status=OutboxStatus.PENDING).exists()
