"""Keys and tokens: refused keys get 401 with a clear message and store nothing; staff
tokens act with the admin's permissions; every key is throttled in a cache all processes
share."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from api.access import ApiAccessRecord
from api.keys.models import ApiKey
from api.keys.services import api_key_create, api_key_revoke, api_keys_uncache
from eventstore.inbound.models import TransactionBatch
from tests.api.conftest import ApiClient, inquiry_270, partner_key, staff_token

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("", "Authentication credentials were not provided."),
        ("Api-Key nonsense", "malformed API key"),
        ("Api-Key edi_abcdef123456_notthesecret", "unknown API key"),
    ],
)
def test_a_request_without_a_usable_key_is_refused_with_401_and_stores_nothing(
    world, header, message
):
    client = ApiClient(None)
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.post("/api/v1/interchanges", inquiry_270(), **extra)
    assert response.status_code == 401
    assert response.json()["detail"] == message
    assert response["WWW-Authenticate"].startswith("Api-Key")
    assert not TransactionBatch.objects.exists()


def test_an_expired_key_is_refused(world):
    api = partner_key(world.provider, expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = api.post("/api/v1/interchanges", inquiry_270())
    assert response.status_code == 401
    assert response.json()["detail"] == "this API key has expired"
    assert not TransactionBatch.objects.exists()


def test_a_revoked_key_is_refused_from_the_moment_it_is_revoked(world):
    api = partner_key(world.provider)
    assert api.get("/api/v1/files").status_code == 200
    api_key_revoke(key=ApiKey.objects.get(), acting_user=None)
    response = api.get("/api/v1/files")
    assert response.status_code == 401
    assert response.json()["detail"] == "this API key was revoked"


def test_only_a_hash_and_the_prefix_of_a_key_are_stored(world):
    api = partner_key(world.provider)
    key = ApiKey.objects.get()
    assert api.secret.startswith(f"edi_{key.prefix}_")
    assert api.secret not in (key.key_hash, key.prefix)
    assert len(key.key_hash) == 64


def test_a_staff_token_needs_the_permission_the_admin_needs(world, django_user_model):
    without = staff_token(django_user_model, username="no-perms")
    response = without.get("/api/v1/members", {"subscriber_id": "S100"})
    assert response.status_code == 403
    with_perm = staff_token(django_user_model, "eventstore.view_member", username="viewer")
    assert with_perm.get("/api/v1/members", {"subscriber_id": "S100"}).status_code == 200


def test_a_staff_token_of_an_inactive_user_is_refused(world, django_user_model):
    api = staff_token(django_user_model, "eventstore.view_member")
    django_user_model.objects.filter(username="api-staff").update(is_active=False)
    assert api.get("/api/v1/members", {"subscriber_id": "S1"}).status_code == 401


def test_staff_tokens_may_not_send_real_time_inquiries(world, django_user_model):
    api = staff_token(django_user_model, "eventstore.add_transactionbatch")
    response = api.post("/api/v1/realtime/eligibility", inquiry_270())
    assert response.status_code == 403
    assert not TransactionBatch.objects.exists()


def test_each_key_is_throttled_on_its_own(world, other_provider):
    caches["api"].clear()
    first, second = partner_key(world.provider), partner_key(other_provider)
    with override_settings(API_THROTTLE_RATE="3/min"):
        codes = [first.get("/api/v1/files").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        assert "throttled" in first.get("/api/v1/files").json()["code"]
        assert second.get("/api/v1/files").status_code == 200
    caches["api"].clear()


def test_throttle_counts_live_where_every_process_sees_them():
    backend = settings.CACHES["api"]["BACKEND"]
    assert backend in (
        "django.core.cache.backends.db.DatabaseCache",
        "django.core.cache.backends.redis.RedisCache",
    )


def test_with_redis_each_key_is_throttled_in_one_round_trip(
    world, other_provider, redis_api_cache, settings
):
    settings.API_THROTTLE_RATE = "3/day"  # one window for the whole test
    first, second = partner_key(world.provider), partner_key(other_provider)
    codes = [first.get("/api/v1/files").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    refused = first.get("/api/v1/files")
    assert "throttled" in refused.json()["code"] and int(refused["Retry-After"]) > 0
    assert second.get("/api/v1/files").status_code == 200


def test_a_cached_key_is_refused_as_soon_as_it_is_revoked(world, redis_api_cache):
    new = api_key_create(name="cached", partner=world.provider, acting_user=None)
    api = ApiClient(new.secret)
    for _ in range(3):  # the second request caches the checked key
        assert api.get("/api/v1/files").status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert api.get("/api/v1/files").status_code == 200
    assert not [q for q in queries.captured_queries if "api_apikey" in q["sql"]]  # cached
    api_key_revoke(key=new.key, acting_user=None)
    response = api.get("/api/v1/files")
    assert response.status_code == 401 and "revoked" in response.json()["detail"]


def test_a_cached_staff_token_keeps_its_user_permissions_live(
    world, django_user_model, redis_api_cache
):
    api = staff_token(django_user_model, "eventstore.view_member")
    for _ in range(3):  # the second request caches the checked token (without the password)
        r = api.get("/api/v1/members", {"subscriber_id": "S1"})
        assert r.status_code == 200, r.content
    assert ApiAccessRecord.objects.filter(username="api-staff").count() == 3
    user = django_user_model.objects.get(username="api-staff")
    user.user_permissions.clear()  # permissions are checked per request, never cached
    assert api.get("/api/v1/members", {"subscriber_id": "S1"}).status_code == 403


def _cached(api: ApiClient) -> None:
    for _ in range(3):  # the second request caches the checked key
        assert api.get("/api/v1/files").status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert api.get("/api/v1/files").status_code == 200
    assert not [q for q in queries.captured_queries if "api_apikey" in q["sql"]]


def test_a_cached_key_of_a_partner_made_inactive_is_refused_at_once(
    world, redis_api_cache, django_capture_on_commit_callbacks
):
    api = partner_key(world.provider)
    _cached(api)
    world.provider.active = False
    with django_capture_on_commit_callbacks(execute=True):
        world.provider.save()
    response = api.get("/api/v1/files")
    assert response.status_code == 401
    assert response.json()["detail"] == "the partner of this key is inactive"


def test_a_cached_token_of_a_user_made_inactive_is_refused_at_once(
    world, django_user_model, redis_api_cache, django_capture_on_commit_callbacks
):
    api = staff_token(django_user_model, "outbound.view_outboundfile")
    _cached(api)
    user = django_user_model.objects.get(username="api-staff")
    user.is_active = False
    with django_capture_on_commit_callbacks(execute=True):
        user.save()
    response = api.get("/api/v1/files")
    assert response.status_code == 401
    assert response.json()["detail"] == "the user of this token is inactive"


def test_uncaching_names_a_partner_or_a_user(world):
    with pytest.raises(ValueError, match="either a partner or a user"):
        api_keys_uncache()
    with pytest.raises(ValueError, match="either a partner or a user"):
        api_keys_uncache(partner_id=world.provider.pk, user_id=1)
    partner_key(world.provider)
    assert api_keys_uncache(partner_id=world.provider.pk) == 1  # no cache here: harmless
