"""The plan of a batch, built from the engine's report without a database: final status and
reason, owed TA1 / 999, counts, and the routing status of every set."""

from __future__ import annotations

from edi_platform import x12
from edi_platform.x12.peek import peek_isa
from eventstore.inbound.models import BatchStatus, RoutingStatus
from eventstore.inbound.services.plan import (
    plan_duplicate,
    plan_from_report,
    plan_unknown_partner,
    plan_without_partner,
)
from tests.eventstore.inbound.samples import (
    SENDER,
    clean_handlers,
    many_sets,
    sample,
    two_sets_one_bad,
)
from tests.factories import TradingPartnerFactory

_ = clean_handlers  # (fixture)


def partner(**overrides):
    return TradingPartnerFactory.build(
        pk=41, code="SYNTH", their_isa_id=SENDER, their_gs_code=SENDER, **overrides
    )


def planned(data: bytes, who=None):
    who = who or partner()
    return plan_from_report(
        batch_id=7, report=x12.validate(data), partner=who, lookup=lambda q, i: who
    )


def test_an_accepted_file_owes_a_999_and_routes_its_set():
    plan = planned(sample())
    assert (plan.status, plan.reason, plan.sets_accepted, plan.sets_rejected) == (
        BatchStatus.ACCEPTED,
        "",
        1,
        0,
    )
    (ack,) = plan.outcomes
    assert (ack.response_type, ack.dedupe_key, ack.st02s) == ("999", "7:999:000000101:1", ["0001"])
    assert [status for *_, status in plan.headers] == [RoutingStatus.PENDING]  # 834: the ledger
    assert plan.batch_fields()["partner_id"] == 41


def test_a_rejected_set_is_named_in_the_reason_and_not_routed():
    plan = planned(two_sets_one_bad())
    assert plan.status == BatchStatus.PARTIALLY_ACCEPTED
    assert (plan.sets_accepted, plan.sets_rejected) == (1, 1)
    assert "Transaction set 834 ST02 0002 rejected (IK5 R" in plan.reason
    assert "19801340" not in plan.reason  # the bad value (PHI) is never echoed
    statuses = {s.control_number: status for _, _, s, status in plan.headers}
    assert statuses == {"0001": RoutingStatus.PENDING, "0002": RoutingStatus.NOT_ROUTED}


def test_ta1_follows_the_partner_policy_and_a_rejected_interchange_always_gets_one():
    assert [o.response_type for o in planned(sample(), partner(ta1_policy="always")).outcomes] == [
        "TA1",
        "999",
    ]
    cut = sample()[: len(sample()) // 2]
    plan = planned(cut, partner(ta1_policy="on_error"))
    assert plan.status == BatchStatus.REJECTED and "TA1 R" in plan.reason
    assert [o.response_type for o in plan.outcomes] == ["TA1"]
    assert planned(cut, partner(ta1_policy="never")).outcomes == []


def test_a_duplicate_is_answered_with_ta1_r_025_and_nothing_else():
    plan = plan_duplicate(
        batch_id=9,
        partner=partner(),
        original_id=3,
        original_isa13="000000101",
        isa_report=x12.validate(sample()[:4096]),
    )
    assert (plan.status, plan.duplicate_of_id) == (BatchStatus.DUPLICATE, 3)
    (ta1,) = plan.outcomes
    assert (ta1.response_type, ta1.payload["ack_code"], ta1.payload["note_code"]) == (
        "TA1",
        "R",
        "025",
    )
    assert len(plan.headers) == 0


def test_no_partner_means_no_answer():
    unknown = plan_unknown_partner(peek_isa(sample()), None)
    assert unknown.status == BatchStatus.UNKNOWN_PARTNER and unknown.outcomes == []
    assert "is not a trading partner" in unknown.reason
    junk = plan_without_partner(x12.validate(b"\x00\x01 not x12"))
    assert junk.status == BatchStatus.REJECTED and junk.reason.startswith("Not a usable X12")


def test_a_duplicate_plan_says_what_it_was_and_answers_by_policy():
    who = partner()
    plan = plan_duplicate(
        batch_id=9,
        partner=who,
        original_id=3,
        original_isa13="000000101",
        isa_report=x12.validate(sample()[:4096]),
    )
    assert plan.reason == (
        "Duplicate interchange: ISA13 000000101 was already received from SYNTH as batch 3; "
        "answered with TA1 R 025, nothing processed."
    )
    (ta1,) = plan.outcomes
    assert (ta1.partner, ta1.dedupe_key, ta1.isa13) == (who, "9:TA1:000000101", "000000101")
    assert plan.report == {
        "verdict": "duplicate",
        "duplicate_of": 3,
        "interchanges": [
            {
                "isa13": "000000101",
                "ta1_code": "R",
                "ta1_note": "025",
                "ta1_meaning": "Duplicate Interchange Control Number",
                "groups": [],
            }
        ],
    }
    assert plan.batch_fields() == {
        "status": BatchStatus.DUPLICATE,
        "status_reason": plan.reason,
        "duplicate_of_id": 3,
        "groups_accepted": 0,
        "groups_rejected": 0,
        "sets_accepted": 0,
        "sets_rejected": 0,
        "segment_count": 0,
        "report": plan.report,
        "partner_id": 41,
    }
    silent = plan_duplicate(
        batch_id=9,
        partner=partner(ta1_policy="never"),
        original_id=3,
        original_isa13="000000101",
        isa_report=x12.validate(sample()[:4096]),
    )
    assert silent.outcomes == [] and silent.status == BatchStatus.DUPLICATE
    unreadable = plan_duplicate(
        batch_id=9,
        partner=who,
        original_id=3,
        original_isa13="000000101",
        isa_report=x12.validate(b"not x12 at all"),
    )
    assert unreadable.outcomes == []  # no ISA to answer


def test_plans_without_a_usable_partner_say_why_in_words():
    head = peek_isa(sample())
    unknown = plan_unknown_partner(head, None)
    assert unknown.reason == (
        "Sender ZZ/SYNTHSENDER (ISA05/ISA06) is not a trading partner. No acknowledgment was "
        "sent. Onboard the partner, then use Reprocess."
    )
    assert unknown.partner is None and "partner_id" not in unknown.batch_fields()
    inactive = partner(active=False)
    plan = plan_unknown_partner(head, inactive)
    assert plan.reason.startswith("Sender ZZ/SYNTHSENDER (ISA05/ISA06) is an inactive partner.")
    assert plan.partner is inactive
    garbage = x12.validate(b"\x00\x01 not x12")
    junk = plan_without_partner(garbage)
    assert garbage.error and junk.reason == f"Not a usable X12 file: {garbage.error}."
    assert (junk.status, junk.outcomes, junk.partner) == (BatchStatus.REJECTED, [], None)
    nobody = sample(sender=" " * 11)
    report = x12.validate(nobody)
    plan = plan_without_partner(report)
    message = report.interchanges[0].issues[0].message
    assert plan.reason == (
        f"The sender cannot be identified from ISA05/ISA06 ({message}); no TA1 possible."
    )
    assert plan.segment_count == report.segment_count
    # the defaults, for reports that say nothing more
    bare = x12.ValidationReport(source="upload")
    assert plan_without_partner(bare).reason == "Not a usable X12 file: no interchange found."
    report.interchanges[0].issues.clear()
    assert plan_without_partner(report).reason == (
        "The sender cannot be identified from ISA05/ISA06 (the ISA has no sender); no TA1 possible."
    )


def test_reasons_counts_and_keys_of_a_file_with_problems_at_every_level():
    text = sample().decode()
    # a group whose GE01 miscounts its sets: the group and its set are rejected
    plan = planned(text.replace("GE*1*", "GE*3*").encode())
    assert plan.reason == (
        "Functional group GS06 1 rejected (AK9 R: 5 Number of Included Transaction Sets Does "
        "Not Match Actual Count)."
    )
    assert (plan.status, plan.groups_accepted, plan.groups_rejected) == (
        BatchStatus.REJECTED,
        0,
        1,
    )
    assert (plan.sets_accepted, plan.sets_rejected) == (0, 1)
    # two groups with one GS06: the second is rejected, each still gets its own 999 key
    gs, iea = text.index("GS*"), text.index("IEA*")
    plan = planned((text[:iea] + text[gs:iea] + text[iea:]).replace("IEA*1*", "IEA*2*").encode())
    assert plan.status == BatchStatus.PARTIALLY_ACCEPTED
    assert [o.dedupe_key for o in plan.outcomes] == ["7:999:000000101:1", "7:999:000000101:1:2"]
    assert [(o.isa13, o.gs06, o.st02s) for o in plan.outcomes] == [
        ("000000101", "1", ["0001"]),
        ("000000101", "1", ["0001"]),
    ]
    assert (plan.groups_accepted, plan.groups_rejected) == (1, 1)
    # a file without sets is accepted, and says so
    st, ge = text.index("ST*834"), text.index("GE*")
    plan = planned((text[:st] + text[ge:]).replace("GE*1*", "GE*0*").encode())
    assert (plan.status, plan.reason) == (BatchStatus.ACCEPTED, "no transaction sets in the file.")
    # an interchange with a bad ISA09: rejected at its line, answered with a TA1 only
    plan = planned(text.replace("*230101*1253*", "*231399*1253*", 1).encode())
    assert plan.reason == (
        "Interchange ISA13 000000101 rejected (TA1 R 014) at line 1: Invalid Interchange Date "
        "Value: ISA09 Interchange Date has an invalid value."
    )
    assert [o.response_type for o in plan.outcomes] == ["TA1"]
    assert (plan.groups_rejected, plan.sets_rejected, plan.sets_accepted) == (1, 1, 0)


def test_a_second_interchange_from_an_unknown_sender_is_named_and_not_answered():
    who = partner(ta1_policy="always")
    data = sample() + sample(sender="OTHERSENDR1", isa13="000000202")
    plan = plan_from_report(
        batch_id=7,
        report=x12.validate(data),
        partner=who,
        lookup=lambda qualifier, sender: who if sender.strip() == SENDER else None,
    )
    assert plan.reason == (
        "Interchange ISA13 000000202 is from an unknown sender ZZ/OTHERSENDR1: not processed."
    )
    assert [(o.response_type, o.dedupe_key) for o in plan.outcomes] == [
        ("TA1", "7:TA1:000000101"),
        ("999", "7:999:000000101:1"),
    ]
    assert plan.status == BatchStatus.PARTIALLY_ACCEPTED
    assert (plan.groups_accepted, plan.groups_rejected) == (1, 1)
    assert (plan.sets_accepted, plan.sets_rejected) == (1, 1)
    statuses = [status for *_, status in plan.headers]
    assert statuses == [RoutingStatus.PENDING, RoutingStatus.NOT_ROUTED]


def test_the_reason_names_five_problems_and_counts_the_rest_after_a_limit():
    bad = many_sets(7).decode().replace("DMG*D8*19800101", "DMG*D8*19801340").encode()
    plan = planned(bad)
    assert plan.reason.count("Transaction set 834 ST02") == 5
    assert plan.reason.endswith("first: DMG at line 59 (position 9) (and 2 more).")
    assert (plan.status, plan.sets_rejected, plan.sets_accepted) == (BatchStatus.REJECTED, 7, 0)
    who = partner()
    plan = plan_from_report(
        batch_id=7,
        report=x12.validate(many_sets(3), max_sets=2),
        partner=who,
        lookup=lambda qualifier, sender: who,
    )
    assert plan.reason.startswith(
        "The file is over a limit and was not read further: the file holds more than 2 "
        "transaction sets (limit max_sets); the rest of the file was not read; Interchange "
        "ISA13 000000101 rejected (TA1 R 024) at line 27: "
    )


def test_a_sender_id_is_shown_cut_to_forty_characters():
    from edi_platform.x12.peek import IsaHead

    head = IsaHead("ZZ", "S" * 37 + "\x00TAIL", "ZZ", "EDIPLATFORM", "230101", "1253", "1", "P")
    plan = plan_unknown_partner(head, None)
    # 40 characters at most: "ZZ/" and 36 of the id, then the ellipsis (control bytes escaped)
    assert plan.reason.startswith(f"Sender ZZ/{'S' * 36}… (ISA05/ISA06) is not a trading partner.")


def test_a_plan_without_partner_keeps_the_report_summary():
    from edi_platform.x12.summary import report_summary

    report = x12.validate(sample(sender=" " * 11))
    assert plan_without_partner(report).report == report_summary(report)


def test_pending_sets_need_an_acknowledged_group_and_a_handler_that_takes_them(clean_handlers):
    from eventstore.inbound.hooks import BulkHandler, register_handler
    from eventstore.inbound.services.plan import SetHeaders

    group = x12.validate(sample()).interchanges[0].groups[0]  # one accepted 834 set

    def headers(accepted: bool, acknowledged: bool) -> SetHeaders:
        h = SetHeaders()
        h.add("000000101", group.header, group.sets, accepted, acknowledged)
        return h

    # no handler for 834: nothing is routed, whatever the verdicts
    assert not headers(True, True).any_pending()
    assert [s for *_, s in headers(True, True)] == [RoutingStatus.NO_HANDLER]
    register_handler("834", BulkHandler(handle=lambda sets: [], rejected_sets=True))
    assert headers(True, True).any_pending()
    # a group the 999 rejects: its sets go to a handler that records rejected sets...
    assert headers(False, True).any_pending()
    assert [s for *_, s in headers(False, True)] == [RoutingStatus.PENDING]
    # ...unless no 999 answers it (its interchange was rejected)
    assert not headers(False, False).any_pending()
    assert [s for *_, s in headers(False, False)] == [RoutingStatus.NOT_ROUTED]
    register_handler("834", BulkHandler(handle=lambda sets: [], rejected_sets=False))
    assert not headers(False, True).any_pending()


def test_a_batch_reason_is_stored_escaped_and_cut_to_4000_characters():
    from eventstore.inbound.services.plan import Plan

    plan = Plan(status=BatchStatus.REJECTED, reason="x" * 3999 + "\x00" + "y" * 500)
    stored = plan.batch_fields()["status_reason"]
    assert len(stored) == 4000 and stored == "x" * 3999 + "…"
    assert Plan(status="ACCEPTED", reason="y" * 4000).batch_fields()["status_reason"] == "y" * 4000


def test_edge_reports_unidentified_senders_long_control_numbers_and_bare_rejections():
    who = partner(ta1_policy="always")

    def plan_of(report):
        return plan_from_report(batch_id=7, report=report, partner=who, lookup=lambda q, i: who)

    # a report without interchanges (a known sender's unusable file)
    bare = plan_of(x12.ValidationReport(source="upload"))
    assert (bare.status, bare.reason) == (
        BatchStatus.REJECTED,
        "Not a usable X12 file: no interchange found.",
    )
    said = plan_of(x12.ValidationReport(source="upload", error="no ISA segment"))
    assert said.reason == "Not a usable X12 file: no ISA segment."
    # an interchange whose sender cannot be identified is never looked up, never answered
    blank = x12.validate(sample(sender=" " * 11))
    plan = plan_of(blank)
    assert plan.outcomes == [] and plan.status == BatchStatus.REJECTED
    assert plan.segment_count == blank.segment_count > 0
    # a 10-digit ISA13: keys and numbers are cut to its 9 characters
    long = sample().decode().replace("*000000101*0*P*", "*0000001011*0*P*", 1).encode()
    plan = plan_of(x12.validate(long))
    assert [(o.response_type, o.dedupe_key, o.isa13) for o in plan.outcomes] == [
        ("TA1", "7:TA1:000000101", "000000101")
    ]
    # a rejection without a finding to quote: the TA1 note's meaning, no line
    dated = x12.validate(sample().decode().replace("*230101*1253*", "*231399*1253*", 1).encode())
    dated.interchanges[0].issues.clear()
    assert plan_of(dated).reason == (
        "Interchange ISA13 000000101 rejected (TA1 R 014): Invalid Interchange Date Value."
    )


def test_counts_add_up_over_groups_and_quoted_values_are_cut_or_stood_in_for():
    who = partner()
    text = sample().decode()
    gs, iea = text.index("GS*"), text.index("IEA*")
    second = (
        text[gs:iea]
        .replace("*1*X*005010X220A1~", "*2*X*005010X220A1~")
        .replace("GE*1*1~", "GE*1*2~")
    )
    plan = planned((text[:iea] + second + text[iea:]).replace("IEA*1*", "IEA*2*").encode(), who)
    assert (plan.status, plan.groups_accepted, plan.sets_accepted) == (BatchStatus.ACCEPTED, 2, 2)
    assert [o.gs06 for o in plan.outcomes] == ["1", "2"]

    # a group rejected with a code we have no words for, and a GS06 too long to quote whole
    report = x12.validate(text.replace("GE*1*", "GE*3*").encode())
    group = report.interchanges[0].groups[0]
    group.codes = ["5", "99"]
    group.header.control_number = "1234567890123"
    plan = plan_from_report(batch_id=7, report=report, partner=who, lookup=lambda q, i: who)
    assert plan.reason == (
        "Functional group GS06 12345678901… rejected (AK9 R: 5 Number of Included Transaction "
        "Sets Does Not Match Actual Count, 99 group error)."
    )
    (ack,) = plan.outcomes
    assert (ack.gs06, ack.dedupe_key) == ("123456789", "7:999:000000101:123456789")
    group.header.control_number = ""
    plan = plan_from_report(batch_id=7, report=report, partner=who, lookup=lambda q, i: who)
    assert plan.reason.startswith("Functional group GS06 ? rejected (AK9 R: ")

    # an interchange without a control number, and an unknown sender's long id
    dated = x12.validate(text.replace("*230101*1253*", "*231399*1253*", 1).encode())
    dated.interchanges[0].header.control_number = ""
    plan = plan_from_report(batch_id=7, report=dated, partner=who, lookup=lambda q, i: who)
    assert plan.reason.startswith("Interchange ISA13 ? rejected (TA1 R 014) at line 1: ")
    report = x12.validate(sample())
    report.interchanges[0].header.sender_id = "S" * 37 + "\x00X"
    plan = plan_from_report(batch_id=7, report=report, partner=who, lookup=lambda q, i: None)
    assert plan.reason == (
        f"Interchange ISA13 000000101 is from an unknown sender ZZ/{'S' * 36}…: not processed."
    )
    report.interchanges[0].header.control_number = ""
    plan = plan_from_report(batch_id=7, report=report, partner=who, lookup=lambda q, i: None)
    assert plan.reason.startswith("Interchange ISA13 ? is from an unknown sender ")


def _groups(group_text: str, count: int) -> bytes:
    """An interchange of ``count`` copies of one group (GS06 1, 2, ...)."""
    text = sample().decode()
    gs, iea = text.index("GS*"), text.index("IEA*")
    groups = "".join(
        group_text.replace("*1*X*005010X220A1~", f"*{n}*X*005010X220A1~")
        .replace("GE*1*1~", f"GE*1*{n}~")
        .replace("GE*2*1~", f"GE*2*{n}~")
        .replace("GE*3*1~", f"GE*3*{n}~")
        for n in range(1, count + 1)
    )
    return (text[:gs] + groups + text[iea:]).replace("IEA*1*", f"IEA*{count}*").encode()


def _group_of(data: bytes) -> str:
    text = data.decode()
    return text[text.index("GS*") : text.index("IEA*")]


def test_rejected_sets_and_groups_are_counted_over_every_group_and_routed_as_verdicts_say():
    # two accepted groups, each with one rejected set
    plan = planned(_groups(_group_of(two_sets_one_bad()), 2))
    assert (plan.sets_accepted, plan.sets_rejected, plan.groups_accepted) == (2, 2, 2)
    assert len(plan.headers) == 4 and len(list(plan.headers)) == 4
    # two groups rejected by their AK9 (GE01 miscounts): their sets are not routed
    plan = planned(_groups(_group_of(sample()).replace("GE*1*", "GE*3*"), 2))
    assert (plan.sets_rejected, plan.groups_rejected, plan.status) == (2, 2, BatchStatus.REJECTED)
    assert [s for *_, s in plan.headers] == [RoutingStatus.NOT_ROUTED] * 2
    # a group that claims a set and holds none is rejected, not "a file without sets"
    text = sample().decode()
    st, ge = text.index("ST*834"), text.index("GE*")
    plan = planned((text[:st] + text[ge:]).encode())
    assert (plan.status, plan.groups_rejected, plan.sets_rejected) == (BatchStatus.REJECTED, 1, 0)
    # an interchange rejected before any group (a bad ISA09, no GS): rejected
    isa = text[: text.index("GS*")].replace("*230101*1253*", "*231399*1253*", 1)
    plan = planned((isa + "IEA*0*000000101~\n").encode())
    assert (plan.status, plan.groups_rejected) == (BatchStatus.REJECTED, 0)


def test_the_sets_of_a_rejected_interchange_reach_no_handler_even_one_for_rejected_sets(
    clean_handlers,
):
    from eventstore.inbound.hooks import BulkHandler, register_handler

    register_handler("834", BulkHandler(handle=lambda sets: [], rejected_sets=True))
    plan = planned(sample().decode().replace("*230101*1253*", "*231399*1253*", 1).encode())
    assert [s for *_, s in plan.headers] == [RoutingStatus.NOT_ROUTED]
    assert not plan.headers.any_pending()


def test_five_reasons_are_all_named_and_a_sixth_is_counted():
    for count, tail in ((5, "(position 9)."), (6, "(position 9) (and 1 more).")):
        bad = many_sets(count).decode().replace("DMG*D8*19800101", "DMG*D8*19801340")
        plan = planned(bad.encode())
        assert plan.reason.count("Transaction set 834 ST02") == 5
        assert plan.reason.endswith(tail)
