"""The API test world: the eligibility world (a plan sponsor sending 834s, a provider sending
270s; real ingest, projection and assembly), a second provider to prove isolation, keys and
tokens, and a client that speaks ``Authorization: Api-Key``."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from api.keys.services import api_key_create
from tests.factories import TradingPartnerFactory
from tests.outbound.eligibility.world import PROVIDER_SENDER, World, world  # noqa: F401
from tests.support.synthetic_270 import build_270, subscriber
from tests.support.synthetic_834 import member

OTHER_SENDER = "OTHERPROV"


class ApiClient:
    """A Django test client that sends one key with every request."""

    def __init__(self, secret: str | None) -> None:
        self.client = Client()
        self.secret = secret

    def _headers(self, extra: dict[str, str]) -> dict[str, str]:
        headers = dict(extra)
        if self.secret:
            headers.setdefault("HTTP_AUTHORIZATION", f"Api-Key {self.secret}")
        return headers

    def get(self, path: str, data: Any = None, **extra: str):
        return self.client.get(path, data, **self._headers(extra))

    def post(self, path: str, data: Any = b"", content_type: str = "text/plain", **extra: str):
        return self.client.post(path, data, content_type=content_type, **self._headers(extra))

    def post_form(self, path: str, data: dict[str, Any], **extra: str):
        return self.client.post(path, data, **self._headers(extra))


@pytest.fixture
def other_provider():
    return TradingPartnerFactory(
        code="PROV02",
        their_isa_id=OTHER_SENDER,
        their_gs_code=OTHER_SENDER,
        our_isa_id="EDIPLATFORM",
    )


def partner_key(partner, **kwargs: Any) -> ApiClient:
    return ApiClient(
        api_key_create(name="test", partner=partner, acting_user=None, **kwargs).secret
    )


def staff_token(django_user_model, *perms: str, username: str = "api-staff", **kw) -> ApiClient:
    user = django_user_model.objects.create_user(username, "", "pw-api-staff-1")
    for perm in perms:
        app, codename = perm.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app, codename=codename)
        )
    return ApiClient(api_key_create(name="staff", user=user, acting_user=None, **kw).secret)


@pytest.fixture
def provider_api(world):  # noqa: F811
    return partner_key(world.provider)


@pytest.fixture
def sponsor_api(world):  # noqa: F811
    return partner_key(world.sponsor)


@pytest.fixture
def other_api(other_provider):
    return partner_key(other_provider)


def days(n: int) -> str:
    return (timezone.localdate() + dt.timedelta(days=n)).strftime("%Y%m%d")


def enrol_jane(world: World) -> None:  # noqa: F811
    world.enrol(
        member(
            "S100",
            last="DOE",
            first="JANE",
            birth="19800101",
            coverages=[{"line": "HLT", "plan": "GOLD", "begin": days(-30)}],
        ),
        member(
            "S200",
            last="ROE",
            first="RAY",
            birth="19700101",
            coverages=[{"line": "HLT", "plan": "SILVER", "begin": days(-30), "end": days(-5)}],
        ),
    )


def inquiry_270(isa13: int = 501, sender: str = PROVIDER_SENDER, sub: str = "S100") -> bytes:
    return build_270(
        [subscriber(sub, last="DOE", first="JANE", birth="19800101")],
        isa13=isa13,
        sender=sender,
    )


@pytest.fixture
def redis_api_cache(settings, redis_url):
    """The ``api`` cache on Redis, as in production (the suite's default is the database
    table): throttle counts and checked keys. A database of its own; its entries are named
    by each test's random key prefixes, so nothing needs clearing."""
    settings.CACHES = {
        **settings.CACHES,
        "api": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url.rsplit("/", 1)[0] + "/6",
        },
    }
