"""The OpenAPI schema and the documentation page: served without login and without any CDN,
and every endpoint exercised from the schema by schemathesis (no server error, responses
conform to the schema)."""

from __future__ import annotations

import re

import pytest
import schemathesis
from django.test import Client
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api.keys.services import api_key_create
from tests.factories import TradingPartnerFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_schema_lists_every_endpoint_under_v1():
    schema = Client().get("/api/schema/?format=json").json()
    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]) == {
        "/api/v1/claims",
        "/api/v1/claims/{claim_id}",
        "/api/v1/enrollments/active",
        "/api/v1/files",
        "/api/v1/files/{file_id}/content",
        "/api/v1/files/{file_id}/received",
        "/api/v1/interchanges",
        "/api/v1/interchanges/{batch_id}",
        "/api/v1/members",
        "/api/v1/members/{aggregate_id}/events",
        "/api/v1/realtime/claim-status",
        "/api/v1/realtime/eligibility",
    }
    assert "ApiKey" in schema["components"]["securitySchemes"]


def test_the_schema_documents_the_202_of_a_large_submission_and_its_location():
    schema = Client().get("/api/schema/?format=json").json()
    answers = schema["paths"]["/api/v1/interchanges"]["post"]["responses"]
    assert {"200", "201", "202", "413"} <= set(answers)
    assert "Location" in answers["202"]["headers"]


def test_the_docs_page_loads_its_assets_from_this_server():
    page = Client().get("/api/docs/")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.content.decode())
    assert sources and all(not s.startswith(("http:", "https:", "//")) for s in sources)


@pytest.fixture
def api_schema(settings_hosts):
    from django.core.wsgi import get_wsgi_application

    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())


@pytest.fixture
def settings_hosts():
    from django.test import override_settings

    with override_settings(ALLOWED_HOSTS=["*"], API_THROTTLE_RATE="100000/min"):
        yield


@pytest.fixture
def partner_secret(db):
    partner = TradingPartnerFactory(code="SCHEMA", their_isa_id="SCHEMASENDER")
    return api_key_create(name="schemathesis", partner=partner, acting_user=None).secret


def _exercise(operation, secret: str, failures: list[str], statuses: dict) -> None:
    @settings(
        max_examples=12,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    @given(case=operation.as_strategy())
    def check(case):
        case.headers = {**(case.headers or {}), "Authorization": f"Api-Key {secret}"}
        response = case.call()
        statuses.setdefault(operation.label, set()).add(response.status_code)
        try:
            # every check but "schema-valid data is accepted": the API refuses what the
            # schema cannot say (a NUL character, a non-X12 body) with a documented 400
            case.validate_response(response, excluded_checks=[positive_data_acceptance])
        except Exception as exc:  # every operation's first failure is reported
            failures.append(f"{operation.label}: {type(exc).__name__}: {str(exc)[:600]}")
            raise

    try:
        check()
    except Exception:
        if not failures:
            raise


def test_every_endpoint_conforms_to_the_schema_for_generated_requests(api_schema, partner_secret):
    """Each operation of the schema, with requests hypothesis generates from it (a partner
    key): no server error, and status codes, content types and bodies as documented."""
    failures: list[str] = []
    statuses: dict[str, set[int]] = {}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) == 12
    for operation in operations:
        _exercise(operation, partner_secret, failures, statuses)
    assert failures == []
    assert set(statuses) == {o.label for o in operations}  # every operation was called
