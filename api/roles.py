"""Auditors read the API's access records and keys; administrators create and revoke keys."""

from __future__ import annotations

from edi_platform.core.groups import ADMINISTRATOR, AUDITOR, grant

grant(AUDITOR, "api.view_apiaccessrecord", "api.view_apikey")
grant(ADMINISTRATOR, "api.add_apikey", "api.change_apikey")
