"""A claim's journey shows its adjudication and its 835, and each 277 answer; the reports
count paid, denied and pending claims per partner and list the top CARCs; the command and
the admin upload are the same service."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from outbound.claims.selectors import claim_journey
from outbound.models import RemittanceImport
from outbound.remittance.selectors import remittance_by_partner, top_carcs
from tests.support.synthetic_remittance import claim_result, document, encode, line, payment

pytestmark = pytest.mark.django_db


def test_journey_shows_the_adjudication_and_its_835(world):
    (claim,) = world.accepted("P1")
    result = world.remit(document([payment([claim_result(claim.payer_claim_control_number)])]))
    files, _ = world.remits(result.outcome_ids)
    steps = claim_journey(claim)
    assert [s.step for s in steps][-1] == "835"
    last = steps[-1]
    assert "CLP02 1 (processed as primary): charge 100.00, paid 80.00" not in last.summary
    assert "CLP02 1 (processed as primary): charge 100.00, paid 100.00" in last.summary
    assert "ACH (EFT) EFT0001 of 2025-02-01" in last.summary and "835 assembled" in last.summary
    assert last.outbound_file_id == files[0].pk


def test_journey_shows_each_277_answer_and_its_file(world):
    from outbound.models import StatusAnswer
    from tests.outbound.remittance.test_claim_status import ask
    from tests.support.synthetic_276 import inquiry, svc

    (claim,) = world.accepted("P1")
    icn = claim.payer_claim_control_number
    ask(world, inquiry(icn=icn))
    result = world.remit(document([payment([claim_result(icn)])]))
    world.remits(result.outcome_ids)
    ask(world, inquiry(icn=icn, lines=[svc()]))
    answers = list(StatusAnswer.objects.filter(claim=claim).order_by("id"))
    assert [(a.category, a.status_code, a.lines) for a in answers] == [
        ("A1", "19", 0),
        ("F1", "1", 1),
    ]
    steps = [s for s in claim_journey(claim) if s.step == "277"]
    assert [s.summary.split(";")[0] for s in steps] == [
        "STC A1:19 (Acknowledgement/Receipt)",
        "STC F1:1 (Finalized/Payment)",
    ]
    assert "1 service line(s) answered" in steps[1].summary and "277 assembled" in steps[1].summary
    assert [s.outbound_file_id for s in steps] == [a.outcome.outbound_file_id for a in answers]
    assert all(s.outbound_file_id for s in steps)
    # the later responses in the order they were sent: 277, then the 835, then 277 again
    later = [s.step for s in claim_journey(claim)][3:]
    assert later == ["277", "835", "277"]


def test_a_277_answering_nothing_found_links_no_claim(world):
    from outbound.models import StatusAnswer
    from tests.outbound.remittance.test_claim_status import ask
    from tests.support.synthetic_276 import inquiry

    world.accepted("P1")
    ask(world, inquiry(icn=999999))
    assert not StatusAnswer.objects.exists()


def test_reports_paid_denied_pending_and_top_carc(world):
    claims = world.accepted("P1", "P2", "P3")
    paid = claim_result(claims[0].payer_claim_control_number, [line(co="20.00")])
    denied = claim_result(
        claims[1].payer_claim_control_number, [line(co="100.00", carc_co="96")], status="4"
    )
    world.remit(document([payment([paid, denied])]))
    (row,) = remittance_by_partner(days=36500)
    assert (row.partner, row.received, row.paid, row.denied, row.pending) == ("PROV01", 3, 1, 1, 1)
    assert str(row.paid_amount) == "80.00"
    carcs = top_carcs(days=1)
    assert [(c.group, c.carc, c.adjustments) for c in carcs] == [("CO", "45", 1), ("CO", "96", 1)]
    assert carcs[1].description == "Non-covered charge(s)."


def test_command_imports_and_refuses(world, tmp_path, capsys):
    (claim,) = world.accepted("P1")
    good = tmp_path / "good.json"
    good.write_bytes(encode(document([payment([claim_result(claim.payer_claim_control_number)])])))
    call_command("import_remittance", str(good))
    assert "1 payment(s), 1 claim(s)" in capsys.readouterr().out
    call_command("import_remittance", str(good))
    assert "already imported" in capsys.readouterr().out
    bad = tmp_path / "bad.json"
    bad.write_bytes(encode(document([payment([claim_result(424242)], trace="X2")])))
    with pytest.raises(CommandError, match="refused, nothing was imported"):
        call_command("import_remittance", str(bad))
    assert "no claim has this claim control number" in capsys.readouterr().err
    assert RemittanceImport.objects.count() == 1


def test_admin_upload(world, admin_client_logged_in):
    from django.core.files.uploadedfile import SimpleUploadedFile

    (claim,) = world.accepted("P1")
    url = reverse("admin:outbound_remittanceimport_upload")
    assert admin_client_logged_in.get(url).status_code == 200
    bad = encode(document([payment([claim_result(424242)])]))
    page = admin_client_logged_in.post(
        url, {"results": SimpleUploadedFile("r.json", bad)}, follow=True
    )
    assert b"no claim has this claim control number" in page.content
    good = encode(document([payment([claim_result(claim.payer_claim_control_number)])]))
    page = admin_client_logged_in.post(
        url, {"results": SimpleUploadedFile("r.json", good)}, follow=True
    )
    assert page.status_code == 200 and RemittanceImport.objects.count() == 1
    page = admin_client_logged_in.get(reverse("admin:outbound_claim_change", args=[claim.pk]))
    assert b"CLP02 1" in page.content


def test_inbox_folder_imports_and_refuses_with_reasons(world, tmp_path):
    from eventstore.inbound.services.inbox import inbox_poll

    (claim,) = world.accepted("P1")
    folder = tmp_path / "inbox" / "remittance"
    folder.mkdir(parents=True)
    good = encode(document([payment([claim_result(claim.payer_claim_control_number)])]))
    (folder / "good.json").write_bytes(good)
    (folder / "bad.json").write_bytes(encode(document([payment([claim_result(7)], trace="X")])))
    result = inbox_poll(inbox=tmp_path / "inbox", min_age_seconds=0)
    assert (result.processed, result.failed) == (1, 1)
    assert RemittanceImport.objects.count() == 1
    (reason,) = (folder / "failed").rglob("bad.json.reason.txt")
    assert "no claim has this claim control number" in reason.read_text()
    assert list((folder / "processed").rglob("good.json"))
