"""Create, revoke and check API keys. A key is ``edi_<prefix>_<secret>``: the prefix (12
hex characters) is stored and shown; only the SHA-256 of the whole key is kept (the secret
is 256 random bits, so a fast hash is enough), compared in constant time."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import DEFAULT_DB_ALIAS, transaction
from django.utils import timezone

from edi_platform.core.actors import actor_label
from edi_platform.partners.models import TradingPartner

from .models import ApiKey

__all__ = [
    "KeyRefused",
    "NewKey",
    "api_key_check",
    "api_key_create",
    "api_key_revoke",
    "api_keys_uncache",
]

KEY_PREFIX = "edi_"


class KeyRefused(Exception):
    """The presented key is unknown, malformed, revoked or expired (the text says which)."""


@dataclass(frozen=True)
class NewKey:
    key: ApiKey
    secret: str  # the whole key, shown once


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("ascii", "replace")).hexdigest()


def api_key_create(
    *,
    name: str,
    acting_user: Any,
    partner: TradingPartner | None = None,
    user: Any = None,
    expires_at: dt.datetime | None = None,
) -> NewKey:
    """A new partner key (``partner``) or staff token (``user``); the secret is returned once."""
    if (partner is None) == (user is None):
        raise ValueError("a key belongs to a partner or to a user")
    prefix = secrets.token_hex(6)
    raw = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(
        name=name[:100],
        prefix=prefix,
        key_hash=_hash(raw),
        partner=partner,
        user=user,
        created_by=actor_label(acting_user),
        expires_at=expires_at or timezone.now() + dt.timedelta(days=settings.API_KEY_DEFAULT_DAYS),
    )
    return NewKey(key=key, secret=raw)


def api_key_revoke(*, key: ApiKey, acting_user: Any) -> bool:
    """Revoke ``key`` now (False when it was revoked already); its cached copy goes at once
    (after the commit: a request in between would cache it again from the old row)."""
    with transaction.atomic():
        updated = ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_by=actor_label(acting_user)
        )
        transaction.on_commit(partial(_uncache, key.key_hash, revoked=True))
    key.refresh_from_db()
    return bool(updated)


def _key_cache() -> Any:
    """The shared cache of checked keys: the ``api`` cache when it is Redis (one round trip
    instead of a query); None when it is the database table (no query would be saved)."""
    cache = caches["api"]
    return cache if isinstance(cache, RedisCache) else None


def _cache_key(digest: str) -> str:
    return f"api-key:{digest}"  # the hash of the whole key: a hit proves the secret


def _user_fields() -> tuple[str, ...]:
    """What a staff token's user needs per request (permission checks, the access record's
    username); never the password hash, which stays out of the cache."""
    model = get_user_model()
    wanted = {"id", model.USERNAME_FIELD, "is_active", "is_superuser", "is_staff"}
    # in the model's field order: from_db() matches values to fields in that order
    return tuple(f.attname for f in model._meta.concrete_fields if f.attname in wanted)


def _packed(key: ApiKey) -> tuple:
    """The cached form of a checked key: plain values (unpickling model instances cost more
    CPU than the query the cache saves)."""
    partner, user = key.partner if key.partner_id else None, key.user if key.user_id else None
    return (
        tuple(getattr(key, f.attname) for f in ApiKey._meta.concrete_fields),
        None if partner is None else tuple(getattr(partner, f.attname) for f in _PARTNER_FIELDS),
        None if user is None else tuple(getattr(user, f) for f in _user_fields()),
    )


def _unpacked(packed: tuple) -> ApiKey:
    values, partner, user = packed
    names = [f.attname for f in ApiKey._meta.concrete_fields]
    key = ApiKey.from_db(DEFAULT_DB_ALIAS, names, values)
    if partner is not None:
        names = [f.attname for f in _PARTNER_FIELDS]
        cached = TradingPartner.from_db(DEFAULT_DB_ALIAS, names, partner)
        ApiKey._meta.get_field("partner").set_cached_value(key, cached)
    if user is not None:  # the fields not cached are loaded if anything asks for them
        cached = get_user_model().from_db(DEFAULT_DB_ALIAS, list(_user_fields()), user)
        ApiKey._meta.get_field("user").set_cached_value(key, cached)
    return key


_PARTNER_FIELDS = TradingPartner._meta.concrete_fields


REVOKED = "revoked"  # a tombstone: a request that read the row before the revocation
# committed cannot put its copy back (keys are cached with ``add``, never over a tombstone)


def _uncache(digest: str, *, revoked: bool = False) -> None:
    cache = _key_cache()
    if cache is None:
        return
    if revoked:
        cache.set(_cache_key(digest), REVOKED, timeout=int(settings.API_KEY_CACHE_SECONDS) + 5)
    else:
        cache.delete(_cache_key(digest))


def api_keys_uncache(*, partner_id: int | None = None, user_id: int | None = None) -> int:
    """Replace the cached copies of a partner's or a user's keys with tombstones, so that
    their next request reads the key row (and its partner and user) again; returns how many
    keys. Called when a partner or user is made inactive (``api.keys.receivers``)."""
    if (partner_id is None) == (user_id is None):
        raise ValueError("name either a partner or a user")
    owner = {"partner_id": partner_id} if partner_id is not None else {"user_id": user_id}
    digests = list(ApiKey.objects.filter(**owner).values_list("key_hash", flat=True))
    for digest in digests:
        # a tombstone, not a delete: a request that read the row before the change committed
        # cannot put its copy back
        _uncache(digest, revoked=True)
    return len(digests)


def api_key_check(*, raw: str) -> ApiKey:
    """The usable key ``raw`` is; raises :class:`KeyRefused` (no secret in its text).

    A checked key (with its partner and user) is kept ``API_KEY_CACHE_SECONDS`` in the shared
    cache (Redis only), keyed by its hash: revocation replaces it at once with a tombstone,
    and so does a partner or user made inactive (:func:`api_keys_uncache`, from the save's
    commit); expiry is checked on every request."""
    parts = raw.strip().split("_", 2)
    if len(parts) != 3 or f"{parts[0]}_" != KEY_PREFIX or not parts[1] or not parts[2]:
        raise KeyRefused("malformed API key")
    digest = _hash(raw.strip())
    cache = _key_cache()
    packed = cache.get(_cache_key(digest)) if cache is not None else None
    cached = isinstance(packed, tuple)
    key = _unpacked(packed) if cached else None
    if key is None:  # not cached, or revoked a moment ago: the row says
        key = ApiKey.objects.select_related("partner", "user").filter(prefix=parts[1][:16]).first()
    if key is None or not hmac.compare_digest(key.key_hash, digest):
        raise KeyRefused("unknown API key")
    now = timezone.now()
    if key.revoked_at is not None:
        raise KeyRefused("this API key was revoked")
    if key.expires_at <= now:
        raise KeyRefused("this API key has expired")
    if key.user_id and not key.user.is_active:
        raise KeyRefused("the user of this token is inactive")
    if key.partner_id and not key.partner.active:
        raise KeyRefused("the partner of this key is inactive")
    if key.last_used_at is None or now - key.last_used_at > dt.timedelta(minutes=1):
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)  # at most once a minute
        if cached:
            _uncache(digest)  # the next request caches the row anew
        return key
    if cache is not None and not cached:
        cache.add(_cache_key(digest), _packed(key), timeout=int(settings.API_KEY_CACHE_SECONDS))
    return key
