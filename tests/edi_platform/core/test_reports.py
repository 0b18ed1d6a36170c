"""The report registry: one index of every report a user may open; each report checks its
permissions before anything is built (its CSV too)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from edi_platform.core import reports
from edi_platform.core.reports import Report, register_report
from tests.support.users import staff_client

pytestmark = pytest.mark.django_db


def test_the_index_lists_exactly_the_reports_the_user_may_open(client):
    staff_client(client, "view_domainevent", "view_controlnumbercounter")
    page = client.get(reverse("reports:index"))
    assert page.status_code == 200
    titles = {r.title for _, entries in page.context["sections"] for r, _ in entries}
    assert "Event type statistics" in titles and "Control-number gap report" in titles
    assert "Active enrollments" not in titles  # needs view_member (PHI) as well
    assert not any("Pending" in t for t in titles)  # needs view_processingoutcome


def test_a_user_with_no_report_gets_403_on_the_index(client):
    staff_client(client)
    assert client.get(reverse("reports:index")).status_code == 403


@pytest.mark.parametrize("query", [{}, {"format": "csv"}])
def test_a_report_refuses_a_user_without_its_permissions(client, query):
    staff_client(client, "view_domainevent")
    url = reverse("reports:report", args=["active-enrollments"])
    assert client.get(url, query).status_code == 403


def test_unknown_reports_are_404_and_page_reports_redirect_to_their_page(admin_client_logged_in):
    assert admin_client_logged_in.get(reverse("reports:report", args=["nope"])).status_code == 404
    page = admin_client_logged_in.get(reverse("reports:report", args=["control-number-gaps"]))
    assert page.status_code == 302
    assert page["Location"] == reverse("admin:controlnumbers_gap_report")


def test_a_new_report_is_one_registry_entry(admin_client_logged_in, monkeypatch):
    monkeypatch.setattr(reports, "_reports", dict(reports._reports))
    rows = [[1, "one"], [2, "two"]]
    register_report(
        Report(
            slug="numbers",
            title="Numbers",
            section="Tests",
            permissions=("auth.view_user",),
            build=lambda request: (["n", "name"], iter(rows)),
        )
    )
    index = admin_client_logged_in.get(reverse("reports:index")).content.decode()
    assert reverse("reports:report", args=["numbers"]) in index
    csv = admin_client_logged_in.get(reverse("reports:report", args=["numbers"]), {"format": "csv"})
    assert b"".join(csv.streaming_content).decode().splitlines() == ["n,name", "1,one", "2,two"]


def test_a_report_needs_exactly_one_way_to_be_shown():
    with pytest.raises(ValueError):
        Report(slug="x", title="X", section="S", permissions=())
