"""exception_summary: class and frames of an exception, never its message."""

from __future__ import annotations

from edi_platform.x12.logsafe import exception_summary


def _parse(value: str) -> int:
    return int(value)


def test_the_summary_names_the_class_and_frames_but_not_the_data():
    try:
        try:
            _parse("DOE JOHN 19800101")
        except ValueError as inner:
            raise RuntimeError(f"could not map {inner}") from inner
    except RuntimeError as exc:
        text = exception_summary(exc)
    assert text.startswith("RuntimeError at test_logsafe.py:")
    assert "(from ValueError)" in text
    assert "DOE" not in text and "19800101" not in text


def test_an_exception_never_raised_is_its_class_only():
    assert exception_summary(KeyError("S123456789")) == "KeyError"
