"""The soak test's verdicts (bench/soak_checks.py): each flags what it must, and passes what holds."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta

from activities.sender import message_id_header
from bench.soak_checks import (
    Attempt,
    CommandLog,
    StoredCommand,
    WorkflowView,
    attempt_findings,
    command_findings,
    deadline_findings,
    email_findings,
    passed,
    percentile,
    recovery_seconds,
    summary,
)
from bench.soak_clients import parse_verdict, script
from bench.soak_faults import FAULT_KINDS, plan_faults

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=20)


def log(command_id: str, outcome: str, events: int = 1, *attempts: Attempt) -> CommandLog:
    entry = CommandLog(command_id=command_id, trajectory_id="t1", kind="intake send", events=events)
    entry.outcome = outcome  # type: ignore[assignment]
    entry.attempts = list(attempts) or [Attempt("accepted", 1.0, 0, 0, False)]
    entry.started, entry.finished = 0.0, sum(a.seconds for a in entry.attempts)
    return entry


def test_an_accepted_command_stored_once_is_neither_lost_nor_doubled() -> None:
    found = command_findings([log("c1", "accepted")], {"c1": StoredCommand(events=1, transactions=1)})
    assert (found["lost"], found["doubled"], found["refused_but_stored"]) == (0, 0, 0)


def test_an_accepted_command_missing_from_the_store_is_lost() -> None:
    found = command_findings([log("c1", "accepted"), log("c2", "accepted")], {"c2": StoredCommand(1, 1)})
    assert found["lost"] == 1 and found["examples"]["lost"] == ["c1"]


def test_an_accepted_command_without_events_cannot_be_lost() -> None:
    """A verdict that listed no events stores nothing: its absence is no loss."""
    assert command_findings([log("c1", "accepted", events=0)], {})["lost"] == 0


def test_a_command_id_decided_in_two_transactions_is_doubled_even_when_not_ours() -> None:
    """Two decisions under one id (a retry that was not recognised), also a deadline's or a delivery's."""
    stored = {"c1": StoredCommand(2, 2), "t1:reminder:2027-01-01:0": StoredCommand(2, 2), "c3": StoredCommand(2, 1)}
    found = command_findings([log("c1", "accepted"), log("c3", "accepted", events=2)], stored)
    assert found["doubled"] == 2 and found["examples"]["doubled"] == ["c1", "t1:reminder:2027-01-01:0"]


def test_a_refused_command_with_stored_events_is_flagged() -> None:
    found = command_findings([log("c1", "refused", events=0)], {"c1": StoredCommand(1, 1)})
    assert found["refused_but_stored"] == 1


def test_unresolved_commands_are_counted_by_whether_they_landed() -> None:
    logs = [log("c1", "unresolved"), log("c2", "unresolved")]
    found = command_findings(logs, {"c1": StoredCommand(1, 1)})
    assert (found["unresolved"], found["unresolved_stored"], found["lost"]) == (2, 1, 0)


def test_every_expected_email_written_once_passes() -> None:
    files = {"m1.eml": message_id_header("m1"), "m2.eml": message_id_header("m2")}
    found = email_findings(["m1", "m2"], files, message_id_header)
    assert (found["emails_missing"], found["emails_extra"], found["emails_doubled"]) == (0, 0, 0)
    assert (found["emails_expected"], found["emails_sent"]) == (2, 2)


def test_a_missing_an_extra_and_a_doubled_email_are_each_flagged() -> None:
    files = {
        "m1.eml": message_id_header("m1"),
        "m1-copy.eml": message_id_header("m1"),
        "stray.eml": message_id_header("nobody-expects-me"),
    }
    found = email_findings(["m1", "m2"], files, message_id_header)
    assert (found["emails_missing"], found["emails_extra"], found["emails_doubled"]) == (1, 1, 1)
    assert found["examples"]["emails_missing"] == ["m2"] and found["examples"]["emails_extra"] == ["stray.eml"]


def test_a_workflow_waiting_for_the_stores_next_deadline_is_current() -> None:
    views = {"t1": WorkflowView(running=True, attribute=LATER, queried=LATER, answered=True)}
    found = deadline_findings({"t1": LATER}, views, NOW)
    assert (found["stale_workflows"], found["missing_workflows"], found["unanswered_queries"]) == (0, 0, 0)


def test_a_workflow_waiting_for_an_old_deadline_is_stale_by_attribute_or_by_query() -> None:
    """The case of issue 19 §2: the store moved the deadline, the workflow kept the old one."""
    moved = LATER - timedelta(days=10)
    views = {
        "by-attribute": WorkflowView(running=True, attribute=LATER, queried=moved, answered=True),
        "by-query": WorkflowView(running=True, attribute=moved, queried=LATER, answered=True),
        "none-left": WorkflowView(running=True, attribute=None, queried=None, answered=True),
    }
    found = deadline_findings(dict.fromkeys(views, moved), views, NOW)
    assert found["stale_workflows"] == 3


def test_an_open_trajectory_with_a_deadline_but_no_running_workflow_is_missing() -> None:
    found = deadline_findings({"t1": LATER, "t2": None}, {}, NOW)
    assert (found["missing_workflows"], found["stale_workflows"]) == (1, 0)


def test_a_due_deadline_is_in_flight_but_one_long_overdue_is_flagged() -> None:
    views = {"t1": WorkflowView(running=True, attribute=None, answered=True)}
    just_due = deadline_findings({"t1": NOW - timedelta(seconds=5)}, views, NOW)
    long_due = deadline_findings({"t1": NOW - timedelta(minutes=5)}, views, NOW)
    assert (just_due["stale_workflows"], just_due["overdue_unfired"]) == (0, 0)
    assert long_due["overdue_unfired"] == 1


def test_a_workflow_that_does_not_answer_its_query_is_counted() -> None:
    views = {"t1": WorkflowView(running=True, attribute=LATER, answered=False)}
    found = deadline_findings({"t1": LATER}, views, NOW)
    assert (found["unanswered_queries"], found["stale_workflows"]) == (1, 0)


def test_attempts_over_the_bound_failure_output_and_retries_are_counted() -> None:
    slow_failure = Attempt("failed", 190.0, 1, 1049, True, "Interne fout: RPCError", started=10.0)
    ok = Attempt("accepted", 2.0, 0, 0, False, started=205.0)
    ctrl_c = Attempt("interrupted", 31.0, -2, 40, True, "interrupted (Ctrl-C)", started=40.0)
    found = attempt_findings([log("c1", "accepted", 1, slow_failure, ctrl_c, ok), log("c2", "accepted")])
    assert (found["attempts"], found["retries"], found["failed_attempts"], found["attempts_over_bound"]) == (4, 2, 1, 2)
    assert (found["interrupted_attempts"], found["interrupted_max_lines"]) == (1, 40)
    assert (found["failures_with_traceback"], found["max_failure_lines"]) == (1, 1049)
    assert found["failure_lines"] == ["1× Interne fout: RPCError"]


def test_recovery_is_the_first_answer_to_an_attempt_started_after_the_fault() -> None:
    before = log("c1", "accepted", 1, Attempt("accepted", 30.0, 0, 0, False, started=95.0))
    after = log("c2", "accepted", 1, Attempt("accepted", 4.0, 0, 0, False, started=103.0))
    failed = log("c3", "unresolved", 1, Attempt("failed", 1.0, 1, 3, False, started=101.0))
    assert recovery_seconds(100.0, [before, after, failed]) == 7.0
    assert recovery_seconds(200.0, [before, after]) is None


def test_the_summary_passes_only_when_nothing_is_lost_doubled_or_stale() -> None:
    logs = [log("c1", "accepted")]
    commands = command_findings(logs, {"c1": StoredCommand(1, 1)})
    emails = email_findings([], {}, message_id_header)
    good = deadline_findings({"t1": LATER}, {"t1": WorkflowView(True, LATER, LATER, True)}, NOW)
    stale = deadline_findings({"t1": LATER}, {"t1": WorkflowView(True, NOW, NOW, True)}, NOW)
    result = summary(logs=logs, commands=commands, emails=emails, deadlines=good, faults={"worker": 1}, seconds=60)
    assert passed(result) and (result["commands"], result["lost"], result["doubled"]) == (1, 0, 0)
    assert result["faults"] == {"worker": 1} and result["commands_per_min"] == 1.0
    bad = summary(logs=logs, commands=commands, emails=emails, deadlines=stale, faults={}, seconds=60)
    assert bad["stale_workflows"] == 1 and not passed(bad)
    assert not passed({**result, "not_healed": 1})


def test_percentile_interpolates() -> None:
    assert percentile([], 50) == 0.0
    assert percentile([4.0], 99) == 4.0
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0], 50) == 3.0
    assert percentile([0.0, 10.0], 90) == 9.0


def test_the_fault_plan_has_each_kind_inside_the_run_apart_and_is_seeded() -> None:
    plan = plan_faults(random.Random(3), 600, FAULT_KINDS, 2)
    assert sorted(kind for _, kind in plan) == sorted([*FAULT_KINDS, *FAULT_KINDS])
    moments = [at for at, _ in plan]
    assert moments == sorted(moments) and moments[0] >= 60 and moments[-1] <= 510
    assert all(b - a >= 450 / 10 / 2 for a, b in itertools.pairwise(moments))  # half a slot apart
    assert plan == plan_faults(random.Random(3), 600, FAULT_KINDS, 2)
    assert plan_faults(random.Random(3), 600, FAULT_KINDS, 0) == []


def test_the_verdict_is_read_from_the_json_cbct_printed_amid_other_output() -> None:
    text = 'Opnieuw verbinden…\n{\n  "command_id": "c1",\n  "accepted": false,\n  "rule": "state.phase"\n}\n'
    assert parse_verdict(text) == {"command_id": "c1", "accepted": False, "rule": "state.phase"}
    assert parse_verdict("Interne fout: RPCError: tcp connect error\n{not json") is None


def test_a_trajectory_script_opens_first_and_names_dates_inside_its_quarters() -> None:
    from datetime import date

    steps = script("t9", date(2027, 6, 30), withdraw=False, today=date(2026, 12, 6))
    kinds = [kind for kind, _ in steps]
    assert kinds[0] == "trajectory open" and kinds.count("audit schedule") == 2
    first, second = (args[args.index("--audit-dates") + 1] for kind, args in steps if kind == "audit schedule")
    assert first.startswith("2027-05-") and second.startswith("2027-08-")
    assert ("postponement decide", ["--grant", "--reason", "toegekend", "--new-quarter", "2027-K3"]) in steps
    assert [kind for kind, _ in script("t9", date(2026, 12, 31), withdraw=True, today=date(2026, 12, 6))][-1] == (
        "trajectory withdraw"
    )


def test_an_audit_in_a_quarter_already_begun_is_planned_after_today() -> None:
    from datetime import date

    steps = script("t9", date(2026, 12, 31), withdraw=False, today=date(2026, 12, 6))
    first = next(args[args.index("--audit-dates") + 1] for kind, args in steps if kind == "audit schedule")
    assert first == "2026-12-15"


def test_deadline_decisions_and_deliveries_are_told_from_our_commands() -> None:
    stored = {
        "c1": StoredCommand(1, 1),
        "t1:announcement:2026-12-30:0": StoredCommand(1, 1),
        "deliver:m1": StoredCommand(1, 1),
        "deliver:m2": StoredCommand(1, 1),
    }
    found = command_findings([log("c1", "accepted")], stored)
    assert (found["deadline_decisions"], found["deliveries"], found["doubled"]) == (1, 2, 0)


def test_a_read_model_that_disagrees_with_the_store_is_stale() -> None:
    views = {t: WorkflowView(running=True, attribute=LATER, queried=LATER, answered=True) for t in ("t1", "t2", "t3")}
    read_model = {"t1": LATER, "t2": LATER + timedelta(days=1)}  # t2 behind, t3 absent
    found = deadline_findings(dict.fromkeys(views, LATER), views, NOW, read_model)
    assert found["stale_read_model"] == 2 and found["examples"]["stale_read_model"] == ["t2", "t3"]
    assert deadline_findings({"t1": LATER}, views, NOW)["stale_read_model"] == 0


def test_the_outbox_read_model_must_hold_exactly_the_messages_the_store_causes() -> None:
    files = {"m1.eml": message_id_header("m1")}
    assert email_findings(["m1"], files, message_id_header, ["m1"])["outbox_mismatch"] == 0
    found = email_findings(["m1"], files, message_id_header, ["m2"])  # m1 missing from it, m2 unexplained
    assert found["outbox_mismatch"] == 2 and found["examples"]["outbox_mismatch"] == ["m1", "m2"]
