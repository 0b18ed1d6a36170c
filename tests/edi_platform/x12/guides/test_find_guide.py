"""Guide lookup: exact versions, nearest-version fallback, unknown ST01, compile-once cache."""

from __future__ import annotations

import pytest

from edi_platform.x12.guides import available_guides, find_guide, validate_set

from .samples import DELIMS, GUIDE_OF, lines, segments

REQUIRED = [
    ("834", "005010X220A1"),
    ("837", "005010X222A1"),
    ("837", "005010X223A2"),
    ("837", "005010X224A2"),
    ("270", "005010X279A1"),
    ("271", "005010X279A1"),
    ("276", "005010X212"),
    ("277", "005010X212"),
    ("277", "005010X214"),
    ("835", "005010X221A1"),
    ("999", "005010X231A1"),
]


@pytest.mark.parametrize(("st01", "version"), REQUIRED)
def test_every_required_guide_is_defined_and_matches_exactly(st01: str, version: str) -> None:
    guide = find_guide(st01, version)
    assert guide is not None
    assert (guide.st01, guide.version, guide.version_matched) == (st01, version, True)
    assert guide.name
    assert (st01, version) in available_guides()


def test_undefined_addenda_map_to_the_nearest_definition_for_that_st01() -> None:
    p = find_guide("837", "005010X222A2")
    i = find_guide("837", "005010X223A3")
    assert p is not None and i is not None
    assert (p.version, p.version_matched, p.requested_version) == (
        "005010X222A1",
        False,
        "005010X222A2",
    )
    assert (i.version, i.version_matched) == ("005010X223A2", False)


def test_reject_fallback_refuses_undefined_versions() -> None:
    assert find_guide("837", "005010X222A2", fallback="reject") is None
    assert find_guide("837", "005010X222A1", fallback="reject") is not None


def test_unknown_transaction_set_or_guide_number_has_no_guide() -> None:
    assert find_guide("836", "005010X222A1") is None
    assert find_guide("837", "005010X999A1") is None
    assert find_guide("837", "") is None


def test_guides_are_compiled_once_and_shared() -> None:
    first = find_guide("834", "005010X220A1")
    again = find_guide("834", "005010X220A1")
    assert first is again
    nearest = find_guide("837", "005010X222A2")
    exact = find_guide("837", "005010X222A1")
    assert nearest is not None and exact is not None
    assert nearest.compiled is exact.compiled


def test_nearest_version_accepts_the_requested_st03() -> None:
    texts = lines("837I")
    texts[0] = "ST*837*0001*005010X223A3"
    guide = find_guide("837", "005010X223A3")
    assert guide is not None
    assert validate_set(guide, segments(texts), DELIMS) == []


def test_exact_guide_rejects_a_foreign_st03() -> None:
    texts = lines("837I")
    texts[0] = "ST*837*0001*005010X223A3"
    guide = find_guide(*GUIDE_OF["837I"])
    assert guide is not None
    issues = validate_set(guide, segments(texts), DELIMS)
    assert [(i.segment_id, i.code, [(e.position, e.code) for e in i.elements]) for i in issues] == [
        ("ST", "8", [(3, "7")])
    ]


def test_preload_compiles_every_guide_with_its_tables() -> None:
    from edi_platform.x12.guides import preload
    from edi_platform.x12.guides.compiler import _iter_segments

    guides = preload(tables=True)
    assert sorted((g.st01, g.version) for g in guides) == sorted(REQUIRED)
    for guide in guides:
        assert guide.compiled is not None
        assert all(node.trans is not None for node in _iter_segments(guide.compiled.root))
