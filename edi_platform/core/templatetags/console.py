"""Template tags of the operations console (the home dashboard on the admin index)."""

from __future__ import annotations

import json
from typing import Any

from django import template

from edi_platform.core.dashboard import dashboard_for

register = template.Library()


@register.inclusion_tag("admin/console/dashboard.html", takes_context=True)
def console_dashboard(context: dict[str, Any]) -> dict[str, Any]:
    """The tiles the user may see, built from the apps' registered tiles."""
    return {"dashboard": dashboard_for(context["request"]), "request": context["request"]}


@register.filter
def as_json(value: Any) -> str:
    """A value as indented JSON (sorted keys), for details shown to people."""
    return json.dumps(value, indent=1, sort_keys=True, ensure_ascii=False, default=str)
