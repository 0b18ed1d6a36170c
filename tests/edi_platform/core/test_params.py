"""Numbers from request parameters: ASCII decimal digits only, within a bigint."""

from __future__ import annotations

import pytest

from edi_platform.core.params import int_param


@pytest.mark.parametrize(
    ("raw", "value"), [("42", 42), (" 7 ", 7), ("0", 0), ("9" * 18, 10**18 - 1)]
)
def test_ascii_digits_are_read(raw, value):
    assert int_param(raw) == value


@pytest.mark.parametrize(
    "raw", ["\u00b2", "1\u00b2", "\u0661", "-1", "1.5", "", None, "9" * 19, "1 2"]
)
def test_anything_else_is_the_default(raw):
    assert int_param(raw) is None and int_param(raw, default=3) == 3
