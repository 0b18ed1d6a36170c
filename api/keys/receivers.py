"""Cached API keys follow their partner and user: a partner or a user saved inactive has
its keys' cached copies replaced by tombstones once the save commits, so its next request
is refused at once instead of when the cached copy runs out (``API_KEY_CACHE_SECONDS``).
Connected from :meth:`api.apps.ApiConfig.ready`; whatever saves the row (admin, import,
shell) is covered."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.signals import post_save

from edi_platform.partners.models import TradingPartner

from .services import api_keys_uncache


def _partner_saved(sender: Any, instance: TradingPartner, **kwargs: Any) -> None:
    if not instance.active:
        transaction.on_commit(partial(api_keys_uncache, partner_id=instance.pk))


def _user_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    if not instance.is_active:
        transaction.on_commit(partial(api_keys_uncache, user_id=instance.pk))


def receivers_connect() -> None:
    post_save.connect(_partner_saved, sender=TradingPartner, dispatch_uid="api-keys-partner")
    post_save.connect(_user_saved, sender=get_user_model(), dispatch_uid="api-keys-user")
