"""System checks of the platform (``manage.py check``)."""

from __future__ import annotations

from typing import Any

from django.core.checks import Tags, Warning, register

from edi_platform import x12


@register(Tags.compatibility)
def code_lists_check(app_configs: Any, **kwargs: Any) -> list[Warning]:
    """The external code lists SNIP type 5 checks against: missing or out of date is a
    warning (validation still runs; those codes are not judged), never an error."""
    return [
        Warning(text, hint="python -m edi_platform.x12 codes refresh NAME FILE", id="edi.W001")
        for text in x12.code_list_status()
    ]
