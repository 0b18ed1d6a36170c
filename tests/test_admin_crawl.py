"""A crawl of every admin page with odd parameter values: never an HTTP 500.

Every page the admin serves — index, each registered model's list, add and change pages,
every custom page (reports, gap report, member history, raw and file downloads) — is
requested with hundreds of odd values in the parameters pages read (unicode digits that
``str.isdigit`` accepts, NUL, control characters, huge numbers, quotes, markup, paths) and
in path segments. Answers may be 200, 302, 400, 403 or 404; never a server error.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from eventstore.inbound.services.ingest import ingest_bytes
from eventstore.ledger.services.projections import project_pending
from eventstore.models import DomainEvent, Member, TransactionBatch
from outbound.models import OutboundFile
from outbound.services.assembly import outbound_assemble
from tests.eventstore.inbound.samples import inbound_storage as inbound_storage_dir  # noqa: F401
from tests.eventstore.inbound.samples import onboard_partner, sample, two_sets_one_bad

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db,
    pytest.mark.usefixtures("inbound_storage_dir"),
]

_BASE = [
    "\u00b2",
    "\u00b3",
    "\u00b9",
    "\u0661",
    "\u06f5",
    "\u0bef",
    "\u2167",
    "\u2460",
    "\uff11",
    "\x00",
    "a\x00b",
    "%00",
    "\x01",
    "\x1b[31m",
    "\r\n",
    "\t",
    "\ufffd",
    "\ufeff",
    "\u202e",
    "",
    " ",
    "-1",
    "0",
    "00",
    "1.5",
    "1e9",
    "1e999",
    "NaN",
    "inf",
    "-0",
    str(2**63),
    str(2**64),
    "9" * 40,
    "1" * 2000,
    "x" * 5000,
    "'",
    '"',
    "\\",
    "`",
    "%",
    "%%",
    "_",
    "*",
    "?",
    "#",
    "&",
    ";",
    "--",
    "/*",
    "*/",
    "' OR 1=1 --",
    "1; DROP TABLE x",
    "<script>alert(1)</script>",
    "{{7*7}}",
    "${7*7}",
    "../../etc/passwd",
    "..",
    ".",
    "/",
    "//",
    "C:\\",
    "~",
    "true",
    "false",
    "None",
    "null",
    "[]",
    "{}",
    "[1]",
    '{"a":1}',
    "\U0001f600",
    "\u00e9",
    "e\u0301",
    "\u4e2d\u6587",
    "\u0000\u0000",
    "000000101",
    "SUB0001",
    "A",
    "R",
    "E",
    "csv",
    "pending-csv",
    "CSV",
    "json",
]
_AFFIXES = ["{}", "1{}", "{}1", " {} ", "{}{}"]


def odd_values() -> list[str]:
    """At least 237 distinct odd values: each base value alone and with digits around it."""
    values = dict.fromkeys(
        a.format(b, b) if a == "{}{}" else a.format(b) for a in _AFFIXES for b in _BASE
    )
    return list(values)


ODD = odd_values()
CORE = _BASE[:24]  # on every page (the parsing pages get all of ODD)
PARAMS = [
    "q",
    "check",
    "sla",
    "outcome",
    "level",
    "reprocessed",
    "batch",
    "type",
    "aggregate",
    "partner",
    "days",
    "p",
    "o",
    "format",
    "e",
    "counter_type",
    "transaction_type",
    "status__exact",
    "epoch",
    "counter",
    "state",
    "batch__id__exact",
    "outbound_file__id__exact",
    "received_at__gte",
    "received_at__lt",
    "created_at__gte",
    "response_type__exact",
    "event_type__exact",
    "partner_code__exact",
    "all",
    "service_from__gte",
    "service_to__lte",
    "header",
]


@pytest.fixture
def data(admin_client_logged_in):
    onboard_partner(ta1_policy="always")
    ingest_bytes(data=sample(), original_name="a.x12")
    ingest_bytes(data=two_sets_one_bad(), original_name="b.x12")
    ingest_bytes(data=b"not x12 at all", original_name="junk.x12")
    ingest_bytes(data=sample("837p_valid.x12"), original_name="claims.x12")  # a claim
    project_pending()
    outbound_assemble(ignore_windows=True)
    return admin_client_logged_in


THIRD_PARTY = ("auth", "django_celery_beat")
APPS = ("eventstore", "outbound", "controlnumbers", "partners", "core", "api", *THIRD_PARTY)


def admin_pages(app_label: str) -> Iterator[str]:
    for model in admin.site._registry:
        opts = model._meta
        if opts.app_label != app_label:
            continue
        yield reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        yield reverse(f"admin:{opts.app_label}_{opts.model_name}_add")
        obj = model._default_manager.order_by("pk").first()
        if obj is not None:
            yield reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    if app_label == "core":
        from edi_platform.core.reports import _reports

        yield reverse("admin:index")
        yield reverse("console-search")
        yield reverse("reports:index")
        for slug in sorted(_reports):
            yield reverse("reports:report", args=[slug])
    if app_label == "controlnumbers":
        yield reverse("admin:controlnumbers_gap_report")
    if app_label == "eventstore":
        member = Member.objects.order_by("pk").first()
        yield reverse("admin:eventstore_member_events", args=[member.pk])
        batch = TransactionBatch.objects.order_by("pk").first()
        yield reverse("admin:eventstore_transactionbatch_raw", args=[batch.pk])
    if app_label == "outbound":
        file = OutboundFile.objects.order_by("pk").first()
        yield reverse("admin:outbound_outboundfile_download", args=[file.pk])


PARSING_PAGES = [
    ("console-search", []),
    ("reports:report", ["event-stream"]),
    ("reports:report", ["active-enrollments"]),
    ("admin:controlnumbers_gap_report", []),
    ("admin:eventstore_transactionbatch_changelist", []),
    ("admin:controlnumbers_controlnumberaudit_changelist", []),
    ("admin:outbound_processingoutcome_changelist", []),
    ("admin:outbound_claim_changelist", []),
    ("reports:report", ["claim-rejections"]),
]


def _server_errors(client, url: str, values: list[str]) -> list[tuple[str, str, int]]:
    errors = []
    for value in values:
        response = client.get(url, {name: value for name in PARAMS})
        if response.status_code >= 500:
            errors.append((url, value, response.status_code))
    return errors


def test_the_odd_values_are_many():
    assert len(ODD) >= 237 and len(set(ODD)) == len(ODD)


@pytest.mark.parametrize("app_label", APPS)
def test_every_admin_page_answers_odd_parameters_without_a_server_error(data, app_label):
    # third-party pages read none of these parameters: a few values show that is so
    values = CORE[:3] if app_label in THIRD_PARTY else CORE
    pages = list(dict.fromkeys(admin_pages(app_label)))
    assert pages
    errors = [e for url in pages for e in _server_errors(data, url, values)]
    assert errors == []


@pytest.mark.parametrize(("name", "args"), PARSING_PAGES)
def test_pages_that_parse_parameters_take_every_odd_value(data, name, args):
    assert DomainEvent.objects.exists() and OutboundFile.objects.exists()
    assert _server_errors(data, reverse(name, args=args), ODD) == []


@pytest.mark.parametrize(
    ("url", "answers"), [("/healthz", {200, 400, 503}), ("/metrics", {200, 400, 403})]
)
def test_the_operations_endpoints_take_every_odd_value(data, url, answers):
    client = Client()
    for value in ODD:
        response = client.get(url, {name: value for name in PARAMS})
        assert response.status_code in answers, (url, value, response.status_code)


API_GETS = [
    "/api/v1/files",
    "/api/v1/members",
    "/api/v1/enrollments/active",
    "/api/v1/claims",
    "/api/v1/interchanges/1",
    "/api/schema/",
]


def test_the_api_takes_every_odd_value(data, django_user_model, settings):
    """Every GET of the HTTP API with every odd value in every parameter, as a superuser's
    token: a 4xx at worst, never a server error."""
    from api.keys.services import api_key_create

    settings.API_THROTTLE_RATE = "100000/min"
    user = django_user_model.objects.get(username="ops-admin")
    secret = api_key_create(name="crawl", user=user, acting_user=None).secret
    client = Client()
    errors = []
    params = (*PARAMS, "subscriber_id", "member_id", "as_of", "plan", "type", "cursor")
    for url, value in itertools.product(API_GETS, ODD):
        response = client.get(
            url, {name: value for name in params}, HTTP_AUTHORIZATION=f"Api-Key {secret}"
        )
        if response.status_code >= 500:
            errors.append((url, value, response.status_code))
    for template, value in itertools.product(
        [
            "/api/v1/interchanges/{}",
            "/api/v1/files/{}/content",
            "/api/v1/members/{}/events",
            "/api/v1/claims/{}",
        ],
        CORE,
    ):
        url = template.format(quote(value, safe=""))
        response = client.get(url, HTTP_AUTHORIZATION=f"Api-Key {secret}")
        if response.status_code >= 500:
            errors.append((url, value, response.status_code))
    assert errors == []


def test_odd_path_segments_are_never_a_server_error(data):
    client = data
    errors = []
    templates = [
        "/admin/eventstore/member/{}/events/",
        "/admin/eventstore/member/{}/change/",
        "/admin/eventstore/transactionbatch/{}/change/",
        "/admin/eventstore/transactionbatch/{}/raw/",
        "/admin/outbound/outboundfile/{}/change/",
        "/admin/outbound/outboundfile/{}/download/",
        "/admin/outbound/claim/{}/change/",
        "/admin/controlnumbers/controlnumberaudit/{}/change/",
        "/admin/reports/{}/",
    ]
    for template, value in itertools.product(templates, CORE):
        url = template.format(quote(value, safe=""))
        response = client.get(url)
        if response.status_code >= 500:
            errors.append((url, response.status_code))
    assert errors == []


def test_a_nul_character_is_refused_with_400(data):
    client = data
    assert client.get("/admin/eventstore/domainevent/", {"type": "\x00"}).status_code == 400
    assert client.get("/admin/eventstore/member/%00/events/").status_code == 400
    response = client.post("/admin/eventstore/transactionbatch/", {"action": "x\x00"})
    assert response.status_code == 400
