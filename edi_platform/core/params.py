"""Reading numbers from request parameters and search boxes without surprises.

``str.isdigit()`` is true for '²' or '١' and ``int()`` then fails or reads another number;
a NUL byte reaches the database and makes PostgreSQL refuse the query. Every view and
admin search that turns user input into a number goes through :func:`int_param`; NUL bytes
are refused for the whole site by :class:`edi_platform.core.middleware.RefuseNulMiddleware`.
"""

from __future__ import annotations

__all__ = ["int_param"]

MAX_DIGITS = 18  # within a PostgreSQL bigint


def int_param(value: str | None, *, default: int | None = None) -> int | None:
    """``value`` as a non-negative integer when it is 1-18 ASCII decimal digits (surrounding
    spaces allowed), else ``default``."""
    text = (value or "").strip()
    if 0 < len(text) <= MAX_DIGITS and text.isascii() and text.isdecimal():
        return int(text)
    return default
