"""CAQH CORE real time: a 270 in (raw, SOAP, MIME) → its 271 in the same response and the
same envelope style, a 276 → its 277; envelope problems get CORE error codes; an invalid
interchange gets its 999/TA1; a 276 with no responder gets its 999 and NotImplemented.
Everything is recorded like any file (batch, outbound file, control numbers)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from email.parser import BytesParser

import pytest

from api.access import ApiAccessRecord
from api.realtime.codes import OWN_CODES, illegal, is_rule_code
from edi_platform import x12
from eventstore.inbound.models import BatchChannel, TransactionBatch
from outbound.models import OutboundFile
from tests.api.conftest import OTHER_SENDER, enrol_jane, inquiry_270
from tests.outbound.eligibility.world import PROVIDER_SENDER

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/v1/realtime/eligibility"
CORE = {
    "PayloadType": "X12_270_Request_005010X279A1",
    "ProcessingMode": "RealTime",
    "PayloadID": "f81d4fae-7dec-11d0-a765-00a0c91e6bf6",
    "TimeStamp": "2026-12-02T10:20:34Z",
    "SenderID": "PROV01",
    "ReceiverID": "EDIPLATFORM",
    "CORERuleVersion": "2.2.0",
}


def soap(fields: dict[str, str], payload: bytes | None) -> bytes:
    parts = "".join(f"<core:{k}>{v}</core:{k}>" for k, v in fields.items())
    if payload is not None:
        parts += f"<core:Payload><![CDATA[{payload.decode('latin-1')}]]></core:Payload>"
    return (
        '<soapenv:Envelope xmlns:soapenv="http://www.w3.org/2003/05/soap-envelope" '
        'xmlns:core="http://www.caqh.org/SOAP/WSDL/CORERule2.2.0.xsd"><soapenv:Body>'
        f"<core:COREEnvelopeRealTimeRequest>{parts}</core:COREEnvelopeRealTimeRequest>"
        "</soapenv:Body></soapenv:Envelope>"
    ).encode()


def soap_answer(response) -> dict[str, str]:
    root = ET.fromstring(response.content)
    node = next(e for e in root.iter() if e.tag.endswith("COREEnvelopeRealTimeResponse"))
    return {child.tag.rsplit("}", 1)[-1]: child.text or "" for child in node}


def mime_answer(response) -> dict[str, str]:
    message = BytesParser().parsebytes(
        b"Content-Type: " + response["Content-Type"].encode() + b"\r\n\r\n" + response.content
    )
    return {
        part.get_param("name", header="content-disposition"): part.get_payload(decode=True)
        .decode("latin-1")
        .rstrip("\r\n")
        for part in message.get_payload()
    }


def set_ids(data: bytes) -> list[str]:
    return [s.id for ic in x12.read(data) for g in ic.groups for s in g.transaction_sets]


def test_a_raw_270_is_answered_by_its_271_in_the_same_response(world, provider_api):
    enrol_jane(world)
    response = provider_api.post(URL, inquiry_270(), content_type="application/edi-x12")
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/edi-x12"
    assert set_ids(response.content) == ["271"]
    batch = TransactionBatch.objects.get(channel=BatchChannel.API)
    file = OutboundFile.objects.get(transaction_type="271")
    assert file.ingestion_ids == [batch.pk] and file.status in ("PERSISTED", "PUBLISHED")
    assert response["X-CORE-Error-Code"] == "Success"
    record = ApiAccessRecord.objects.get()
    assert record.resource == "realtime_answer" and str(file.pk) in record.resource_ids


def test_the_same_inquiry_twice_gets_the_same_answer(world, provider_api):
    enrol_jane(world)
    first = provider_api.post(URL, inquiry_270())
    second = provider_api.post(URL, inquiry_270())
    assert first.content == second.content
    assert OutboundFile.objects.filter(transaction_type="271").count() == 1


def test_a_soap_envelope_is_answered_in_a_soap_envelope(world, provider_api):
    enrol_jane(world)
    response = provider_api.post(
        URL, soap(CORE, inquiry_270()), content_type="application/soap+xml"
    )
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/soap+xml")
    answer = soap_answer(response)
    assert answer["ErrorCode"] == "Success"
    assert answer["PayloadType"] == "X12_271_Response_005010X279A1"
    assert answer["ProcessingMode"] == "RealTime"
    assert answer["SenderID"] == "EDIPLATFORM" and answer["ReceiverID"] == "PROV01"
    assert set_ids(answer["Payload"].encode("latin-1")) == ["271"]


def test_mime_multipart_is_answered_in_mime_multipart(world, provider_api):
    enrol_jane(world)
    response = provider_api.post_form(URL, {**CORE, "Payload": inquiry_270().decode()})
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("multipart/form-data; boundary=")
    answer = mime_answer(response)
    assert answer["ErrorCode"] == "Success"
    assert answer["PayloadType"] == "X12_271_Response_005010X279A1"
    assert set_ids(answer["Payload"].encode("latin-1")) == ["271"]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"PayloadType": None}, "PayloadTypeRequired"),
        ({"PayloadType": "X12_276_Request_005010X212"}, "PayloadTypeIllegal"),
        ({"ProcessingMode": None}, "ProcessingModeRequired"),
        ({"ProcessingMode": "Batch"}, "ProcessingModeIllegal"),
        ({"PayloadID": None}, "PayloadIDRequired"),
        ({"PayloadID": "has spaces in it"}, "PayloadIDIllegal"),
        ({"SenderID": None}, "SenderIDRequired"),
        ({"ReceiverID": None}, "ReceiverIDRequired"),
        ({"CORERuleVersion": None}, "CORERuleVersionRequired"),
        ({"CORERuleVersion": "1.1.0"}, "VersionMismatch"),
        ({"TimeStamp": "noon"}, "TimeStampIllegal"),
    ],
)
@pytest.mark.parametrize("style", ["soap", "mime"])
def test_envelope_problems_get_their_core_error_code_and_store_nothing(
    world, provider_api, change, code, style
):
    fields = {k: v for k, v in {**CORE, **change}.items() if v is not None}
    if style == "soap":
        response = provider_api.post(
            URL, soap(fields, inquiry_270()), content_type="application/soap+xml"
        )
        answer = soap_answer(response)
    else:
        response = provider_api.post_form(URL, {**fields, "Payload": inquiry_270().decode()})
        answer = mime_answer(response)
    assert response.status_code == 400
    assert answer["ErrorCode"] == code and answer["ErrorMessage"]
    assert answer["Payload"] == ""
    assert not TransactionBatch.objects.exists()


def test_a_missing_payload_is_payload_required(world, provider_api):
    response = provider_api.post(URL, soap(CORE, None), content_type="application/soap+xml")
    assert response.status_code == 400 and soap_answer(response)["ErrorCode"] == "PayloadRequired"


@pytest.mark.parametrize(
    "body",
    [
        b"<not-xml",
        b"<Envelope><Body/></Envelope>",
        b'<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>',
    ],
)
def test_a_broken_soap_envelope_is_a_clear_400(world, provider_api, body):
    response = provider_api.post(URL, body, content_type="application/soap+xml")
    assert response.status_code == 400
    assert soap_answer(response)["ErrorCode"] == "EnvelopeIllegal"
    assert not TransactionBatch.objects.exists()


def test_an_inquiry_in_another_partners_name_is_refused(world, provider_api, other_provider):
    response = provider_api.post(
        URL, soap(CORE, inquiry_270(sender=OTHER_SENDER)), content_type="application/soap+xml"
    )
    assert response.status_code == 403
    assert soap_answer(response)["ErrorCode"] == "UnAuthorized"
    assert not TransactionBatch.objects.exists()


def test_an_invalid_270_is_answered_by_its_999(world, provider_api):
    bad = inquiry_270().replace(b"SE*", b"SE*99").replace(b"SE*99", b"SE*99", 1)
    response = provider_api.post(URL, bad)
    assert response.status_code == 200, response.content
    assert set_ids(response.content) == ["999"]
    assert b"IK5*R" in response.content


def test_a_broken_envelope_inside_the_payload_is_answered_by_a_ta1(world, provider_api):
    bad = inquiry_270().replace(b"IEA*1*000000501", b"IEA*1*000000777")
    response = provider_api.post(URL, bad)
    assert response.status_code == 200, response.content
    assert b"TA1*000000501" in response.content


def _inquiry_276() -> bytes:
    from tests.support.synthetic_276 import build_276, inquiry

    return build_276([inquiry(pcn="NOSUCHCLAIM")], isa13=601, sender=PROVIDER_SENDER)


def test_a_276_is_answered_by_its_277_in_the_same_envelope(world, provider_api):
    fields = {**CORE, "PayloadType": "X12_276_Request_005010X212"}
    response = provider_api.post(
        "/api/v1/realtime/claim-status",
        soap(fields, _inquiry_276()),
        content_type="application/soap+xml",
    )
    assert response.status_code == 200, response.content
    answer = soap_answer(response)
    assert answer["ErrorCode"] == "Success"
    assert answer["PayloadType"] == "X12_277_Response_005010X212"
    payload = answer["Payload"].encode("latin-1")
    assert set_ids(payload) == ["277"] and x12.validate_outbound(payload) == []
    # no claim of this partner matches: "not found", never silence
    assert b"STC*A4:35" in payload
    assert TransactionBatch.objects.get().channel == BatchChannel.API
    assert OutboundFile.objects.filter(transaction_type="277").count() == 1


def test_a_276_without_a_responder_gets_its_999_and_not_implemented(
    world, provider_api, monkeypatch
):
    # an installation whose registry answers no 276 (the responder module removed)
    from outbound.services import realtime

    monkeypatch.setattr(realtime, "answer_types_for", lambda st01: [])
    fields = {**CORE, "PayloadType": "X12_276_Request_005010X212"}
    response = provider_api.post(
        "/api/v1/realtime/claim-status",
        soap(fields, _inquiry_276()),
        content_type="application/soap+xml",
    )
    assert response.status_code == 501
    answer = soap_answer(response)
    assert answer["ErrorCode"] == "NotImplemented"
    assert answer["PayloadType"].startswith(("X12_999_", "X12_TA1_"))
    assert TransactionBatch.objects.get().channel == BatchChannel.API


def test_mime_payload_may_come_as_a_file_part(world, provider_api):
    from django.core.files.uploadedfile import SimpleUploadedFile

    enrol_jane(world)
    upload = SimpleUploadedFile("270.x12", inquiry_270(), content_type="application/edi-x12")
    response = provider_api.post_form(URL, {**CORE, "Payload": upload})
    assert response.status_code == 200, response.content
    assert mime_answer(response)["ErrorCode"] == "Success"


def test_a_multipart_body_without_parts_is_a_core_error_in_multipart(world, provider_api):
    response = provider_api.post(
        URL, b"--x\r\nnot a part", content_type="multipart/form-data; boundary=x"
    )
    assert response.status_code == 400
    assert mime_answer(response)["ErrorCode"] == "PayloadTypeRequired"
    assert not TransactionBatch.objects.exists()


def test_a_multipart_request_without_a_boundary_is_a_json_400(world, provider_api):
    response = provider_api.post(URL, b"whatever", content_type="multipart/form-data")
    assert response.status_code == 400
    assert response.json()["code"] == "bad_input"
    assert not TransactionBatch.objects.exists()


def test_an_oversized_inquiry_is_413(world, provider_api, settings):
    settings.API_MAX_BODY_BYTES = 100
    response = provider_api.post(URL, soap(CORE, inquiry_270()), content_type="text/xml")
    assert response.status_code == 413
    assert not TransactionBatch.objects.exists()


def test_an_empty_raw_inquiry_is_payload_required(world, provider_api):
    response = provider_api.post(URL, b"  ", content_type="application/edi-x12")
    assert response.status_code == 400
    assert response.json()["code"] == "PayloadRequired"


def test_a_soap_1_1_request_is_answered_in_soap_1_1(world, provider_api):
    enrol_jane(world)
    body = soap(CORE, inquiry_270()).replace(
        b"http://www.w3.org/2003/05/soap-envelope", b"http://schemas.xmlsoap.org/soap/envelope/"
    )
    response = provider_api.post(URL, body, content_type="text/xml")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/xml")
    assert b"http://schemas.xmlsoap.org/soap/envelope/" in response.content
    assert soap_answer(response)["ErrorCode"] == "Success"


def test_every_error_code_is_the_rules_spelling_or_declared_our_own():
    emitted = {
        "Success",
        "PayloadRequired",
        "PayloadIllegal",
        "PayloadTypeRequired",
        "PayloadTypeIllegal",
        "ProcessingModeRequired",
        "ProcessingModeIllegal",
        "PayloadIDRequired",
        "PayloadIDIllegal",
        "SenderIDRequired",
        "SenderIDIllegal",
        "ReceiverIDRequired",
        "ReceiverIDIllegal",
        "CORERuleVersionRequired",
        "VersionMismatch",
        "TimeStampIllegal",
        "UnAuthorized",
    }
    assert all(is_rule_code(code) for code in emitted)
    assert {"EnvelopeIllegal", "NotImplemented", "ReceiverUnableToProcess"} == OWN_CODES
    assert not any(is_rule_code(code) for code in OWN_CODES)
    assert not is_rule_code("Unauthorized")  # the rule writes UnAuthorized
    with pytest.raises(ValueError):
        illegal("PayloadId")  # not a field of the rule's metadata table: no such code
