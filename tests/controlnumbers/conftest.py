"""Fixtures of the control-number tests."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Users are created in many tests here; the default PBKDF2 costs CPU for nothing."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fresh_scope_cache():
    """Each test starts with no cached partner scopes (partners change between tests)."""
    from controlnumbers.services import scope_cache_clear

    scope_cache_clear()
    yield
    scope_cache_clear()
