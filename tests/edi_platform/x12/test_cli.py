"""python -m edi_platform.x12 validate: exit codes, text and JSON output, --ack-dir."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from edi_platform.x12 import validate, validate_envelope
from edi_platform.x12.__main__ import main

from .conftest import FIXTURES, MUTATIONS, REPO


def test_accepted_file_exits_0(capsys):
    assert main(["validate", str(FIXTURES / "834.x12")]) == 0
    assert "834.x12: accepted" in capsys.readouterr().out


def test_any_rejected_file_exits_1(capsys):
    files = [str(FIXTURES / "834.x12"), str(MUTATIONS / "ik5_4_se01_count.x12")]
    assert main(["validate", *files]) == 1
    out = capsys.readouterr().out
    assert "Number of Included Segments Does Not Match Actual Count — IK502 4" in out


def test_not_x12_file_exits_1_with_the_reason(tmp_path, capsys):
    path = tmp_path / "letter.txt"
    path.write_text("Dear partner")
    assert main(["validate", str(path)]) == 1
    assert "not an X12 file" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv",
    [["validate"], ["validate", "--format", "xml", "x"], ["frobnicate", "x"], []],
)
def test_usage_errors_exit_2(argv):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2


def test_missing_file_is_a_usage_error(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "nope.x12")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_text_names_the_line_element_and_code(capsys):
    main(["validate", str(MUTATIONS / "ik5_5_bad_date.x12")])
    out = capsys.readouterr().out
    report = validate(MUTATIONS / "ik5_5_bad_date.x12")
    s = report.interchanges[0].groups[0].sets[0]
    if s.guide is not None:  # guides installed: element-level finding
        assert "line 13, DMG02" in out and "19801340 — IK403 8" in out
    assert "IK502 5" in out


def test_json_gives_files_interchanges_groups_and_sets(capsys):
    main(["validate", "--format", "json", str(MUTATIONS / "ak9_4_ge02_differs.x12")])
    data = json.loads(capsys.readouterr().out)
    group = data["files"][0]["interchanges"][0]["groups"][0]
    assert (group["ack_code"], group["codes"]) == ("R", ["4"])
    assert group["sets"][0]["ack_code"] == "A"


def test_ack_dir_gets_the_999_and_the_ta1(tmp_path, capsys):
    src = tmp_path / "in.x12"
    src.write_bytes((MUTATIONS / "ta1_021_iea01_count.x12").read_bytes())
    assert main(["validate", str(src), "--ack-dir", str(tmp_path), "--ta1", "on_error"]) == 1
    ack = (tmp_path / "in.x12.999").read_bytes()
    ta1 = (tmp_path / "in.x12.ta1").read_bytes()
    assert validate_envelope(ack) == [] and validate_envelope(ta1) == []
    # one counter for the run: the TA1 interchange is 1, the 999 interchange 2
    assert b"*000000002*" in ack and b"GS*FA*RECEIVER01*SUBMITTER01*" in ack
    assert b"TA1*000000101*260101*1200*R*021" in ta1 and b"IEA*0*000000001" in ta1


def test_ack_dir_skips_the_ta1_when_not_requested(tmp_path):
    src = tmp_path / "ok.x12"
    src.write_bytes((FIXTURES / "834.x12").read_bytes())
    assert main(["validate", str(src), "--ack-dir", str(tmp_path)]) == 0
    assert (tmp_path / "ok.x12.999").exists() and not (tmp_path / "ok.x12.ta1").exists()


def test_module_runs_as_a_program():
    proc = subprocess.run(
        [sys.executable, "-m", "edi_platform.x12", "validate", str(FIXTURES / "834.x12")],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr


def test_the_library_imports_neither_django_nor_celery():
    code = (
        "import sys, edi_platform.x12, edi_platform.x12.__main__;"
        "edi_platform.x12.validate(b'ISA');"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('django', 'celery')];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_text_says_which_guide_checked_each_set(capsys):
    from edi_platform.x12.engine import guides_available

    main(["validate", str(MUTATIONS / "ik5_1_unsupported_set.x12")])
    assert "envelope checks only" in capsys.readouterr().out
    main(["validate", str(MUTATIONS / "ik5_I6_version_not_defined.x12")])
    out = capsys.readouterr().out
    if guides_available():
        assert "checked against 005010X220A1 (nearest definition)" in out


def _isa13s(data: bytes) -> list[str]:
    return [seg.elements[12] for seg in read_segments(data) if seg.id == "ISA"]


def read_segments(data: bytes):
    from edi_platform.x12.reader import SegmentReader

    return list(SegmentReader(data))


def test_acks_of_a_line_feed_terminated_file_have_no_empty_segments(tmp_path):
    src = tmp_path / "lf.x12"
    text = (FIXTURES / "834.x12").read_bytes().replace(b"~\n", b"\n")
    src.write_bytes(text)
    assert main(["validate", str(src), "--ack-dir", str(tmp_path), "--ta1", "always"]) == 0
    for suffix in (".999", ".ta1"):
        data = (tmp_path / f"lf.x12{suffix}").read_bytes()
        assert b"\n\n" not in data and validate_envelope(data) == []
        assert data.count(b"\n") == len(read_segments(data))


def test_every_ack_interchange_of_a_run_gets_its_own_isa13(tmp_path):
    one = (FIXTURES / "834.x12").read_bytes()
    two = (FIXTURES / "837p.x12").read_bytes().replace(b"000000101", b"000000102")
    (tmp_path / "a.x12").write_bytes(one + two)  # two interchanges in one file
    (tmp_path / "b.x12").write_bytes(one)
    files = [str(tmp_path / "a.x12"), str(tmp_path / "b.x12")]
    main(["validate", *files, "--ack-dir", str(tmp_path), "--ta1", "always"])
    numbers = []
    for name in ("a.x12.999", "a.x12.ta1", "b.x12.999", "b.x12.ta1"):
        data = (tmp_path / name).read_bytes()
        assert validate_envelope(data) == []
        numbers += _isa13s(data)
    assert len(numbers) == 6 and len(set(numbers)) == 6
