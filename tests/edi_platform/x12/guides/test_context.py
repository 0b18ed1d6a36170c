"""CTX business context on findings inside a claim / member / payment."""

from __future__ import annotations

from edi_platform.x12.issues import Context

from .helpers import replace, run


def test_837_claim_findings_carry_clm01() -> None:
    (issue,) = run("837P", replace("SV1", "SV1*HC:99213*1O0.00*UN*1***1"))
    assert issue.contexts == [Context(name="CLM01", reference="CLAIM001")]


def test_837_findings_before_the_claim_have_no_context() -> None:
    (issue,) = run("837P", replace("NM1*IL", "NM1*IL*1*DOE*JANE****MI*1"))
    assert issue.contexts == []


def test_834_member_findings_carry_the_subscriber_identifier() -> None:
    (issue,) = run("834", replace("DMG", "DMG*D8*19801340*F"))
    assert issue.contexts == [Context(name="SUBSCRIBER NUMBER REF02", reference="SUB0001")]


def test_835_findings_have_no_business_unit_context() -> None:
    # X231A1 CTX01-1 lists no 835 business unit identifier
    (issue,) = run("835", replace("DTM*472", "DTM*472*20241340"))
    assert issue.contexts == []


def test_status_findings_carry_the_trace_number() -> None:
    (issue,) = run("276", replace("AMT", "AMT*T3*1O0.00"))
    assert issue.contexts == [Context(name="TRN02", reference="TRACE01")]


def test_277ca_claim_findings_carry_the_trace_number() -> None:
    (issue,) = run("277CA", replace("DTP*472", "DTP*472*D8*20241340"))
    assert issue.contexts == [Context(name="TRN02", reference="CLAIM001")]


def test_a_context_value_is_cut_at_the_component_separator() -> None:
    # a CLM01 carrying a component separator (itself an error on the CLM) still names the
    # claim in the CTX of the findings inside it: by what stands before the separator
    clm = replace("CLM", "CLM*CLAIM001:X*100.00***11:B:1*Y*A*Y*Y")
    sv1 = replace("SV1", "SV1*HC:99213*1O0.00*UN*1***1")
    issues = run("837P", lambda texts: sv1(clm(texts)))
    assert [i.segment_id for i in issues] == ["CLM", "SV1"]
    assert all(i.contexts == [Context(name="CLM01", reference="CLAIM001")] for i in issues)
