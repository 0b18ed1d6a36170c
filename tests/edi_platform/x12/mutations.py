"""Hypothesis strategies of damaged X12 files, shared by the robustness tests."""

from __future__ import annotations

from hypothesis import strategies as st


def _segments(data: bytes) -> list[bytes]:
    return data.split(b"~")


def mutations_of(bases: list[bytes]) -> st.SearchStrategy[bytes]:
    """Files made from one of ``bases`` by one kind of damage (see the kinds below)."""
    return _mutated(st.sampled_from(bases))


@st.composite
def _mutated(draw, bases: st.SearchStrategy[bytes]) -> bytes:
    data = draw(bases)
    kind = draw(
        st.sampled_from(["flip", "truncate", "swap", "drop", "duplicate", "huge", "insert", "many"])
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
    elif kind == "insert":
        pos = draw(st.integers(0, len(data)))
        data = data[:pos] + draw(st.binary(min_size=1, max_size=40)) + data[pos:]
    else:
        for _ in range(draw(st.integers(2, 6))):
            pos = draw(st.integers(0, max(0, len(data) - 1)))
            data = data[:pos] + bytes([draw(st.integers(0, 255))]) + data[pos + 1 :]
    return data
