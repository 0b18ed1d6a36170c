"""Hypothesis strategies of damaged X12 files, shared by the robustness tests."""

from __future__ import annotations

from hypothesis import strategies as st

_COUNTED = (b"IEA*", b"GE*", b"SE*", b"GS*", b"ST*", b"ISA*", b"HL*", b"LX*", b"CLM*")


def _segments(data: bytes) -> list[bytes]:
    return data.split(b"~")


def mutations_of(bases: list[bytes]) -> st.SearchStrategy[bytes]:
    """Files made from one of ``bases`` by one kind of damage: byte flips, truncation,
    separator swaps, dropped or doubled segments, huge elements, counts that overflow or
    hold non-ASCII digits, NUL bytes, CR/LF changes, inserted bytes."""
    return _mutated(st.sampled_from(bases))


@st.composite
def _mutated(draw, bases: st.SearchStrategy[bytes]) -> bytes:
    data = draw(bases)
    kind = draw(
        st.sampled_from(
            [
                "flip",
                "truncate",
                "swap",
                "drop",
                "duplicate",
                "huge",
                "number",
                "nul",
                "crlf",
                "insert",
                "many",
            ]
        )
    )
    if kind == "flip":
        pos = draw(st.integers(0, len(data) - 1))
        data = data[:pos] + bytes([draw(st.integers(0, 255))]) + data[pos + 1 :]
    elif kind == "truncate":
        data = data[: draw(st.integers(0, len(data)))]
    elif kind == "swap":
        a, b = draw(
            st.sampled_from(
                [
                    (b"*", b":"),
                    (b"~", b"*"),
                    (b":", b"~"),
                    (b"^", b"*"),
                    (b"~", b"\n"),
                    (b"*", b"A"),
                ]
            )
        )
        data = data.replace(a, b"\x00").replace(b, a).replace(b"\x00", b)
    elif kind in ("drop", "duplicate"):
        segs = _segments(data)
        i = draw(st.integers(0, len(segs) - 1))
        segs = segs[:i] + segs[i + 1 :] if kind == "drop" else segs[: i + 1] + segs[i:]
        data = b"~".join(segs)
    elif kind == "huge":
        segs = _segments(data)
        i = draw(st.integers(0, len(segs) - 1))
        segs[i] = segs[i] + b"*" + b"9" * draw(st.integers(1000, 200_000))
        data = b"~".join(segs)
    elif kind == "number":
        # a count or control number (IEA01, GE01, SE01, ...) that overflows or whose
        # "digits" are not ASCII ("²" is str.isdigit() but int() refuses it)
        segs = _segments(data)
        targets = [i for i, s in enumerate(segs) if s.lstrip(b"\r\n").startswith(_COUNTED)]
        i = draw(st.sampled_from(targets)) if targets else 0
        parts = segs[i].split(b"*")
        j = draw(st.integers(1, max(1, len(parts) - 1)))
        value = draw(
            st.sampled_from(
                [
                    str(2**64).encode(),
                    b"9" * 40,
                    b"-1",
                    b"\xb2",
                    b"1\xb3",
                    b"\xb9\xbc",
                    b"\xef\xbc\x91",
                ]
            )
        )
        parts[j : j + 1] = [value]
        segs[i] = b"*".join(parts)
        data = b"~".join(segs)
    elif kind == "nul":
        pos = draw(st.integers(0, len(data)))
        data = data[:pos] + b"\x00" * draw(st.integers(1, 4)) + data[pos:]
    elif kind == "crlf":
        choice = draw(st.integers(0, 2))
        if choice == 0:
            data = data.replace(b"~\n", b"~\r\n")
        elif choice == 1:
            data = data.replace(b"~\n", b"\n")  # line feed as the only terminator
        else:
            pos = draw(st.integers(0, len(data)))
            data = data[:pos] + b"\r\n" + data[pos:]
    elif kind == "insert":
        pos = draw(st.integers(0, len(data)))
        data = data[:pos] + draw(st.binary(min_size=1, max_size=40)) + data[pos:]
    else:
        for _ in range(draw(st.integers(2, 6))):
            pos = draw(st.integers(0, max(0, len(data) - 1)))
            data = data[:pos] + bytes([draw(st.integers(0, 255))]) + data[pos + 1 :]
    return data
