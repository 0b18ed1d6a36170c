"""CORE connectivity envelopes (Phase II/III connectivity rule, real-time mode); which ErrorCode
values are the rule's and which are ours: :mod:`.codes`.

A request comes as raw X12 (``application/edi-x12`` or ``text/plain``), as a SOAP envelope
(``COREEnvelopeRealTimeRequest``) or as MIME ``multipart/form-data`` with the fields
PayloadType, ProcessingMode, PayloadID, TimeStamp, SenderID, ReceiverID, CORERuleVersion and
Payload. :func:`envelope_parse` reads it into a :class:`CoreRequest` or raises
:class:`EnvelopeError` with the CORE error code; :func:`envelope_render` answers in the same
style (``COREEnvelopeRealTimeResponse`` / the same multipart fields plus ErrorCode and
ErrorMessage; raw X12 answers carry the code in the ``X-CORE-Error-Code`` header). Error
messages name fields and limits only, never the payload's content.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from .codes import ENVELOPE_ILLEGAL, METADATA_FIELDS, VERSION_MISMATCH, illegal, required

__all__ = [
    "RAW",
    "CoreRequest",
    "EnvelopeError",
    "envelope_parse",
    "envelope_render",
    "response_payload_type",
]

RAW, SOAP, MIME = "raw", "soap", "mime"
SOAP_NS = "http://www.w3.org/2003/05/soap-envelope"  # SOAP 1.2 (application/soap+xml)
SOAP11_NS = "http://schemas.xmlsoap.org/soap/envelope/"  # SOAP 1.1 (text/xml)
CORE_NS = "http://www.caqh.org/SOAP/WSDL/CORERule2.2.0.xsd"
REALTIME = "RealTime"
RULE_VERSIONS = ("2.2.0", "3.0.0", "4.0.0")
FIELDS = METADATA_FIELDS
REQUIRED = tuple(f for f in METADATA_FIELDS if f != "TimeStamp")  # TimeStamp: optional here
_ID = re.compile(r"^[A-Za-z0-9._:@-]{1,50}$")
# X12 guides of the answers, by transaction type (PayloadType of a response)
_GUIDES = {
    "271": "005010X279A1",
    "277": "005010X212",
    "999": "005010X231A1",
    "TA1": "00501X231A1",
}


class EnvelopeError(Exception):
    """An envelope problem: ``code`` is the CORE ErrorCode (:mod:`.codes`), ``status`` the
    HTTP status."""

    def __init__(self, code: str, message: str, *, style: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.style, self.status = code, message, style, status


@dataclass
class CoreRequest:
    style: str
    payload: bytes
    fields: dict[str, str] = field(default_factory=dict)
    soap11: bool = False  # answered in SOAP 1.1 (text/xml) as asked


def response_payload_type(transaction_type: str) -> str:
    return f"X12_{transaction_type}_Response_{_GUIDES.get(transaction_type, '005010')}"


def _style(content_type: str) -> str:
    ctype = content_type.split(";")[0].strip().lower()
    if ctype in ("application/soap+xml", "text/xml", "application/xml"):
        return SOAP
    if ctype == "multipart/form-data":
        return MIME
    return RAW


def envelope_parse(
    *, content_type: str, body: bytes | None, form: dict[str, Any] | None, expected: str
) -> CoreRequest:
    """Read one real-time request; ``expected`` is the request PayloadType of the endpoint
    (e.g. ``X12_270_Request_005010X279A1``). ``form`` holds the parsed multipart fields
    (files already read to bytes) when the request is multipart."""
    style = _style(content_type)
    if style == RAW:
        if not body or not body.strip():
            raise EnvelopeError(required("Payload"), "The request body is empty.", style=RAW)
        return CoreRequest(RAW, body.strip(b"\r\n\t "), {})
    values = _soap_fields(body or b"") if style == SOAP else _mime_fields(form or {})
    _check(values, expected=expected, style=style)
    payload = values["Payload"]
    request = CoreRequest(style, payload.strip().encode("latin-1", "replace"), values)
    request.soap11 = style == SOAP and content_type.split(";")[0].strip().lower() == "text/xml"
    return request


def _soap_fields(body: bytes) -> dict[str, str]:
    if b"<!DOCTYPE" in body.upper() or b"<!ENTITY" in body.upper():
        raise EnvelopeError(ENVELOPE_ILLEGAL, "Document type declarations are refused.", style=SOAP)
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        raise EnvelopeError(
            ENVELOPE_ILLEGAL, "The SOAP envelope is not well-formed XML.", style=SOAP
        ) from None
    request = next((e for e in root.iter() if _local(e.tag) == "COREEnvelopeRealTimeRequest"), None)
    if request is None:
        raise EnvelopeError(
            ENVELOPE_ILLEGAL, "No COREEnvelopeRealTimeRequest element in the body.", style=SOAP
        )
    return {
        _local(child.tag): (child.text or "") for child in request if _local(child.tag) in FIELDS
    }


def _mime_fields(form: dict[str, Any]) -> dict[str, str]:
    out = {}
    for name in FIELDS:
        value = form.get(name)
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        if value is not None:
            out[name] = str(value)
    return out


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _check(values: dict[str, str], *, expected: str, style: str) -> None:
    for name in REQUIRED:
        if not values.get(name, "").strip():
            raise EnvelopeError(required(name), f"{name} is required.", style=style)
    if values["PayloadType"].strip() != expected:
        raise EnvelopeError(
            illegal("PayloadType"), f"PayloadType must be {expected} at this endpoint.", style=style
        )
    if values["ProcessingMode"].strip() != REALTIME:
        raise EnvelopeError(
            illegal("ProcessingMode"), "ProcessingMode must be RealTime here.", style=style
        )
    for name in ("PayloadID", "SenderID", "ReceiverID"):
        if not _ID.match(values[name].strip()):
            raise EnvelopeError(
                illegal(name), f"{name} must be 1-50 letters, digits or ._:@-", style=style
            )
    if values["CORERuleVersion"].strip() not in RULE_VERSIONS:
        raise EnvelopeError(
            VERSION_MISMATCH,
            f"CORERuleVersion must be one of {', '.join(RULE_VERSIONS)}.",
            style=style,
        )
    stamp = values.get("TimeStamp", "").strip()
    if stamp:
        try:
            dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        except ValueError:
            raise EnvelopeError(
                illegal("TimeStamp"), "TimeStamp must be an ISO 8601 date and time.", style=style
            ) from None


def envelope_render(
    *,
    request: CoreRequest | None,
    style: str,
    payload: bytes | None,
    transaction_type: str,
    error_code: str,
    error_message: str,
) -> tuple[bytes, str]:
    """The response body and its content type, in the request's style."""
    if style == RAW:
        return (payload or b""), "application/edi-x12"
    fields = dict(request.fields) if request else {}
    response = {
        "PayloadType": response_payload_type(transaction_type) if payload else "CoreEnvelopeError",
        "ProcessingMode": REALTIME,
        "PayloadID": str(uuid.uuid4()),
        "TimeStamp": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "SenderID": fields.get("ReceiverID", "").strip(),
        "ReceiverID": fields.get("SenderID", "").strip(),
        "CORERuleVersion": fields.get("CORERuleVersion", "").strip() or RULE_VERSIONS[0],
        "Payload": (payload or b"").decode("latin-1"),
        "ErrorCode": error_code,
        "ErrorMessage": error_message,
    }
    if style == SOAP:
        soap11 = bool(request and request.soap11)
        ns, ctype = (SOAP11_NS, "text/xml") if soap11 else (SOAP_NS, "application/soap+xml")
        parts = "".join(
            f"<ns1:{k}>{_cdata(v) if k == 'Payload' else escape(v)}</ns1:{k}>"
            for k, v in response.items()
        )
        xml = (
            f'<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="{ns}">'
            f'<soapenv:Body><ns1:COREEnvelopeRealTimeResponse xmlns:ns1="{CORE_NS}">{parts}'
            "</ns1:COREEnvelopeRealTimeResponse></soapenv:Body></soapenv:Envelope>"
        )
        return xml.encode("utf-8"), f"{ctype}; charset=utf-8"
    boundary = f"core-{uuid.uuid4().hex}"
    lines = []
    for name, value in response.items():
        lines.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        )
    lines.append(f"--{boundary}--\r\n")
    return "".join(lines).encode("latin-1", "replace"), f"multipart/form-data; boundary={boundary}"


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"
