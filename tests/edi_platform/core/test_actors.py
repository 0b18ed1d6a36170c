"""The one acting_user convention: a user's name, or what kind of caller None stands for."""

from __future__ import annotations

import getpass

import pytest

from edi_platform.core.actors import SYSTEM, actor_label


@pytest.mark.django_db
def test_a_user_is_recorded_by_name(django_user_model):
    user = django_user_model.objects.create_user("operator-7")
    assert actor_label(user) == actor_label(user, system=True) == "operator-7"


def test_none_is_an_operator_at_a_shell_or_the_platform_itself():
    assert actor_label(None) == f"cli:{getpass.getuser()}"
    assert actor_label(None, system=True) == SYSTEM == "system"
