"""PostgreSQL's own client programs (``pg_dump``, ``pg_restore``), found and run safely.

Programs are looked up in ``PG_BINDIR`` (setting), then on ``PATH``, then under
``/usr/lib/postgresql/*/bin`` (Debian's layout, newest first); the first whose major version
is at least the server's is used (``pg_dump`` cannot dump a newer server, and
``pg_restore`` cannot read a newer dump). Credentials travel in the child's environment
(``PGPASSWORD``...), never on its command line where ``ps`` would show them.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from django.conf import settings

from .errors import ToolMissing

__all__ = ["pg_client_env", "pg_program", "program_major", "tool_error_line"]


def program_major(path: str) -> int:
    """The major version a PostgreSQL program reports (``pg_dump (PostgreSQL) 15.4`` -> 15)."""
    out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30)
    found = re.search(r"(\d+)(?:\.\d+)?", out.stdout)
    return int(found.group(1)) if found else 0


def _candidates(name: str) -> list[str]:
    found: list[str] = []
    configured = getattr(settings, "PG_BINDIR", "")
    if configured:
        found.append(str(Path(configured) / name))
    on_path = shutil.which(name)
    if on_path:
        found.append(on_path)

    def version_key(path: str) -> tuple[int, ...]:
        part = Path(path).parent.parent.name
        return tuple(int(x) for x in re.findall(r"\d+", part)) or (0,)

    found += sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=version_key, reverse=True)
    return [p for p in dict.fromkeys(found) if os.access(p, os.X_OK)]


def pg_program(name: str, *, min_major: int) -> str:
    """The path of ``name`` (``pg_dump``/``pg_restore``) of major version >= ``min_major``."""
    seen = []
    for path in _candidates(name):
        major = program_major(path)
        if major >= min_major:
            return path
        seen.append(f"{path} ({major})")
    raise ToolMissing(
        f"{name} {min_major} or later is needed"
        + (f"; found only {', '.join(seen)}" if seen else "; none found"),
        suggestion=f"install the PostgreSQL {min_major} client programs (Debian: apt-get "
        "install postgresql-client) or set PG_BINDIR to their directory",
    )


def pg_client_env(config: dict[str, Any]) -> dict[str, str]:
    """The environment that points libpq programs at a ``DATABASES`` entry."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    pairs = {
        "PGHOST": config.get("HOST"),
        "PGPORT": config.get("PORT"),
        "PGUSER": config.get("USER"),
        "PGPASSWORD": config.get("PASSWORD"),
        "PGDATABASE": config.get("NAME"),
        "PGSSLMODE": (config.get("OPTIONS") or {}).get("sslmode"),
        "PGCONNECT_TIMEOUT": "10",
    }
    env.update({k: str(v) for k, v in pairs.items() if v})
    return env


def tool_error_line(stderr: bytes) -> str:
    """pg_dump's / pg_restore's error line, without DETAIL lines (they may quote values)."""
    lines = [
        line
        for line in stderr.decode("utf-8", "replace").splitlines()
        if "error" in line.lower() and not line.lstrip().startswith("DETAIL")
    ]
    # Quoted text may be a value of a row ('invalid input syntax for type date: "…"'): masked.
    line = re.sub(r"\"[^\"]*\"|'[^']*'", "…", lines[0]) if lines else "no message"
    return line[:300]
