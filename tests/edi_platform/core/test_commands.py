"""Commands end with a summary or one clear line, never a traceback: the database unreachable,
or a connection the server dropped mid-run (the work goes on on a new connection)."""

from __future__ import annotations

import socket
from io import StringIO

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection

from tests.conftest import run_manage
from tests.factories import TradingPartnerFactory
from tests.outbound.conftest import stage


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(
    "args", [("assemble_outbound",), ("control_number_status",), ("projection_lag",)]
)
def test_an_unreachable_database_is_one_clear_line_and_exit_status_1(args):
    url = f"postgres://edi@127.0.0.1:{_closed_port()}/edi"
    # without the pool: a pool would wait its 30-second timeout per retry for the server
    done = run_manage(*args, env={"DATABASE_URL": url, "DATABASE_POOL": "false"})
    assert done.returncode == 1
    assert "cannot reach the database server" in done.stderr and "database error" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.django_db(transaction=True)
def test_assembly_reconnects_when_the_server_ends_its_session():
    # what a PostgreSQL restart does to every open session (SQLSTATE 57P01)
    stage(TradingPartnerFactory(code="DROP"), "999", 3)
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    db = connection.settings_dict
    dsn = f"postgresql://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    with psycopg.connect(dsn, autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()[0]
    out = StringIO()
    call_command("assemble_outbound", "--now", stdout=out)
    assert "claimed 3 outcome(s); 1 file(s) persisted" in out.getvalue()
