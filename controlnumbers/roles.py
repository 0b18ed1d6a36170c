"""What the three permission roles may do with control numbers (see
:mod:`edi_platform.core.groups`): everyone reads counters, their audit and alerts; only
administrators reset or roll over counters and close gaps."""

from __future__ import annotations

from edi_platform.core.groups import ADMINISTRATOR, AUDITOR, grant

grant(
    AUDITOR,
    "controlnumbers.view_controlnumbercounter",
    "controlnumbers.view_controlnumberaudit",
    "controlnumbers.view_controlnumberalert",
)
grant(ADMINISTRATOR, "controlnumbers.reset_counter", "controlnumbers.close_gap")
