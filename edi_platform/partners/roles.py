"""What the three permission roles may do with trading partners (see
:mod:`edi_platform.core.groups`): everyone reads the registry; administrators onboard and
edit partners."""

from __future__ import annotations

from edi_platform.core.groups import ADMINISTRATOR, AUDITOR, grant

grant(AUDITOR, "partners.view_tradingpartner")
grant(ADMINISTRATOR, "partners.add_tradingpartner", "partners.change_tradingpartner")
