"""What PHI the API's models can hold (see :mod:`edi_platform.core.phi`): none. Keys hold a
hash and a prefix; access records hold internal ids, never member ids or names."""

from __future__ import annotations

from edi_platform.core.phi import classify

classify("api.ApiKey")
classify("api.ApiAccessRecord")
