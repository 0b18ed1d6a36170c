"""import_partners / export_partners / seed_demo commands."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from edi_platform.partners.models import TradingPartner

pytestmark = pytest.mark.django_db


def test_seed_demo_loads_the_four_demo_partners_idempotently():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "4 created" in out.getvalue()
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "4 unchanged" in out.getvalue()
    assert sorted(TradingPartner.objects.values_list("code", flat=True)) == [
        "INTERNAL-CLAIMS",
        "PARTNERA",
        "PARTNERB",
        "TEST001",
    ]


def test_export_then_import_command_round_trip(tmp_path):
    call_command("seed_demo", stdout=StringIO())
    path = tmp_path / "partners.json"
    call_command("export_partners", "--output", str(path), stderr=StringIO())
    data = json.loads(path.read_text())
    data[0]["name"] = "Changed name"
    path.write_text(json.dumps(data))
    out = StringIO()
    call_command("import_partners", str(path), stdout=out)
    assert "1 updated, 3 unchanged" in out.getvalue()


def test_import_command_rejects_invalid_json_and_invalid_entries(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("[{")
    with pytest.raises(CommandError, match="not valid JSON"):
        call_command("import_partners", str(broken))
    invalid = tmp_path / "invalid.json"
    invalid.write_text(json.dumps([{"code": "x y"}]))
    err = StringIO()
    with pytest.raises(CommandError, match="rejected, nothing was changed"):
        call_command("import_partners", str(invalid), stderr=err)
    assert "entry 1 (x y): name: required" in err.getvalue()
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_partners", str(tmp_path / "missing.json"))
