"""The partner registry holds organisations' identifiers and settings: no PHI."""

from __future__ import annotations

from edi_platform.core.phi import classify

classify("partners.TradingPartner")
