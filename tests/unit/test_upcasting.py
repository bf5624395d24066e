"""Events recorded before a field existed are upcast on read, so old streams fold and project as new ones."""

from __future__ import annotations

from domain import Party, RoundKind
from domain.events import DeadlineMissed, DraftReportIssued, event_to_dict
from domain.registry import event_from_dict

STAMP = {"trajectory_id": "t-1", "occurred_at": "2019-02-20T09:00:00+00:00"}


def test_draft_report_v1_gets_its_round_kind_from_the_round_number() -> None:
    v1 = {**STAMP, "round": 1, "issued_on": "2019-02-20", "reaction_ends_on": "2019-03-06",
          "decision_due_on": "2019-03-20", "summary": ""}  # fmt: skip
    assert event_from_dict("DraftReportIssued", v1).round_kind is RoundKind.AUDIT  # type: ignore[attr-defined]
    later = event_from_dict("DraftReportIssued", {**v1, "round": 2})
    assert isinstance(later, DraftReportIssued) and later.round_kind is RoundKind.HERAUDIT
    assert DraftReportIssued.schema_version == 2 and event_to_dict(later)["round_kind"] == "heraudit"


def test_deadline_missed_v1_gets_the_party_that_had_to_act() -> None:
    v1 = {**STAMP, "kind": "intake", "deadline_id": "intake", "due_on": "2019-02-01", "reported_on": "2019-02-02"}
    missed = event_from_dict("DeadlineMissed", v1)
    assert isinstance(missed, DeadlineMissed) and missed.party is Party.AUDITEE
    assert event_from_dict("DeadlineMissed", {**v1, "kind": "decision"}).party is Party.DIRECTOR  # type: ignore[attr-defined]
    assert event_from_dict("DeadlineMissed", {**v1, "party": "planner"}).party is Party.PLANNER  # type: ignore[attr-defined]


def test_messages_follow_the_party_and_round_kind_on_the_event() -> None:
    """Only a deadline the auditee missed becomes an e-mail; the draft's subject names the event's round."""
    from projections.message_texts import MessageContext, compose

    ctx = MessageContext(organisation="Bibliotheek X", certificate_number="1", framework_version="kib-2018",
                         recipient="info@x.nl")  # fmt: skip
    v1 = {**STAMP, "kind": "intake", "deadline_id": "intake", "due_on": "2019-02-01", "reported_on": "2019-02-02"}
    assert compose(event_from_dict("DeadlineMissed", v1), ctx) is not None
    assert compose(event_from_dict("DeadlineMissed", {**v1, "party": "planner"}), ctx) is None
    draft = {**STAMP, "round": 2, "round_kind": "heraudit", "issued_on": "2019-02-20",
             "reaction_ends_on": "2019-03-06", "decision_due_on": "2019-03-20", "summary": ""}  # fmt: skip
    mail = compose(event_from_dict("DraftReportIssued", draft), ctx)
    assert mail is not None and "heraudit" in mail.subject
