"""The journey of a file: one search box finds anything by ISA13 / GS06 / ST02 (inbound or
outbound), file name, sha256 prefix or trace number; a batch page shows what we sent back
(with files and delivery); a file page links back to the batches and sets it answers; the
outcome and file lists find things by the inbound file name and ISA13."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from edi_platform.core import search as search_registry
from edi_platform.core.search import SearchHit, SearchSource, register_search
from eventstore.models import TransactionBatch, TransactionHeader
from outbound.models import OutboundFile, ProcessingOutcome
from tests.eventstore.inbound.samples import inbound_storage as inbound_storage_dir  # noqa: F401
from tests.support.console import installation

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("inbound_storage_dir")]


def results(client, q: str) -> dict[str, list]:
    page = client.get(reverse("console-search"), {"q": q})
    assert page.status_code == 200
    return {r.source.slug: r.hits for r in page.context["results"]}


def test_the_search_box_is_in_every_admin_header(admin_client_logged_in):
    installation()
    for url in (reverse("admin:index"), reverse("admin:outbound_outboundfile_changelist")):
        html = admin_client_logged_in.get(url).content.decode()
        assert 'id="console-search"' in html and f'action="{reverse("console-search")}"' in html


def test_an_inbound_isa13_finds_the_batch_with_or_without_leading_zeros(admin_client_logged_in):
    found = installation()
    for q in ("000000701", "701"):
        hits = results(admin_client_logged_in, q)["inbound-files"]
        assert [h.url for h in hits] == [
            reverse("admin:eventstore_transactionbatch_change", args=[found.batches["claims"]])
        ]
        assert hits[0].matched == "ISA13"


def test_the_numbers_we_issued_find_the_files_we_sent(admin_client_logged_in):
    installation()
    file = OutboundFile.objects.filter(transaction_type="999").order_by("isa13").first()
    for q, matched in ((str(file.isa13), "ISA13"), (str(file.gs06), "GS06")):
        hits = results(admin_client_logged_in, q).get("outbound-files", [])
        urls = {h.url: h.matched for h in hits}
        found = urls.get(reverse("admin:outbound_outboundfile_change", args=[file.pk]), "")
        assert matched in found.split(", "), (q, found)
    st02 = file.st02s[0]
    hits = results(admin_client_logged_in, f"{st02:04d}")["outbound-files"]
    assert any("ST02" in h.matched.split(", ") for h in hits)


def test_gs06_st02_file_name_and_sha256_find_inbound_files_and_sets(admin_client_logged_in):
    found = installation()
    header = TransactionHeader.objects.filter(batch_id=found.batches["claims"]).first()
    sets = results(admin_client_logged_in, header.st02)["inbound-sets"]
    assert any(h.url.endswith(f"/{found.batches['claims']}/change/") for h in sets)
    batch = TransactionBatch.objects.get(pk=found.batches["family"])
    by_name = results(admin_client_logged_in, "family.8")["inbound-files"]
    assert [h.matched for h in by_name] == ["file name"]
    by_sha = results(admin_client_logged_in, batch.sha256[:10].upper())["inbound-files"]
    assert [h.matched for h in by_sha] == ["sha256"]
    sent = OutboundFile.objects.exclude(storage_path="").first()
    by_file = results(admin_client_logged_in, sent.file_name[:20])["outbound-files"]
    assert any(h.url.endswith(f"/{sent.pk}/change/") for h in by_file)


def test_sources_follow_permissions_and_nobody_without_one_may_search(client, django_user_model):
    installation()
    user = django_user_model.objects.create_user("s1", password="pw-s1-12345", is_staff=True)
    client.force_login(user)
    assert client.get(reverse("console-search"), {"q": "701"}).status_code == 403
    user.user_permissions.add(Permission.objects.get(codename="view_transactionbatch"))
    found = results(client, "701")
    assert set(found) == {"inbound-files"}


def test_a_new_source_is_one_registry_entry_and_a_failing_one_is_reported(
    admin_client_logged_in, monkeypatch
):
    monkeypatch.setattr(search_registry, "_sources", dict(search_registry._sources))
    register_search(
        SearchSource(
            slug="claims",
            title="Claims (patient control number)",
            permissions=(),
            find=lambda q: (
                [SearchHit(kind="Claim", label=f"claim {q.text}", url="/c/")]
                if q.text.startswith("PCN")
                else []
            ),
        )
    )

    def broken(q):
        raise ValueError("PHI 19610203")

    register_search(SearchSource(slug="broken", title="Broken", permissions=(), find=broken))
    page = admin_client_logged_in.get(reverse("console-search"), {"q": "PCN-88"})
    html = page.content.decode()
    assert "claim PCN-88" in html and "could not be searched (ValueError)" in html
    assert "19610203" not in html


def test_a_batch_page_shows_what_we_sent_back_with_files_and_delivery(admin_client_logged_in):
    found = installation()
    batch_id = found.batches["claims"]
    html = admin_client_logged_in.get(
        reverse("admin:eventstore_transactionbatch_change", args=[batch_id])
    ).content.decode()
    panel = html[html.index('id="batch-responses"') :]
    assert 'data-type="TA1"' in panel and 'data-type="999"' in panel
    for outcome in ProcessingOutcome.objects.filter(batch_id=batch_id):
        file_url = reverse("admin:outbound_outboundfile_change", args=[outcome.outbound_file_id])
        assert file_url in panel
    assert "Pending" in panel  # delivery: the outbox message waits (no Redis here)
    assert reverse("admin:outbound_outboundfile_download", args=[outcome.outbound_file_id]) in panel


def test_a_file_page_links_back_to_the_batches_and_sets_it_answers(admin_client_logged_in):
    found = installation()
    file = OutboundFile.objects.get(
        transaction_type="999", outcomes__batch_id=found.batches["claims"]
    )
    html = admin_client_logged_in.get(
        reverse("admin:outbound_outboundfile_change", args=[file.pk])
    ).content.decode()
    batch_url = reverse("admin:eventstore_transactionbatch_change", args=[found.batches["claims"]])
    assert batch_url in html and "claims.837" in html
    assert "ISA13 000000701" in html and "ST02 0001" in html
    for outcome_id in file.outcome_ids:
        assert reverse("admin:outbound_processingoutcome_change", args=[outcome_id]) in html


def test_outcomes_and_files_are_found_by_the_inbound_file_name_and_isa13(admin_client_logged_in):
    found = installation()
    for term in ("claims.837", "000000701", "701"):
        page = admin_client_logged_in.get(
            reverse("admin:outbound_processingoutcome_changelist"), {"q": term}
        )
        batches = {o.batch_id for o in page.context["cl"].result_list}
        assert batches == {found.batches["claims"]}, term
        page = admin_client_logged_in.get(
            reverse("admin:outbound_outboundfile_changelist"), {"q": term}
        )
        files = list(page.context["cl"].result_list)
        assert files and all(
            f.outcomes.filter(batch_id=found.batches["claims"]).exists() for f in files
        ), term
