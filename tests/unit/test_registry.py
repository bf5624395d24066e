"""The registries are built from the concepts' declarations; an incomplete concept fails naming what it misses."""

from __future__ import annotations

import pytest

from application.event_summaries import summarize
from domain import Event, commands, events
from domain.concept import Cli, CommandPart, Concept, ConceptIncomplete, EventPart, Field
from domain.registry import CLI_STEPS, COMMAND_TYPES, EVENT_TYPES, EVOLVE_STEPS, FIELDS, HANDLERS, SUMMARIES
from interfaces.cli.lifecycle import FIELD_HELP, STEPS


def test_every_command_and_event_class_is_declared_with_all_its_parts() -> None:
    assert set(EVENT_TYPES.values()) == set(EVOLVE_STEPS) == set(SUMMARIES)
    assert all(issubclass(cls, Event) and name == cls.__name__ for name, cls in EVENT_TYPES.items())
    assert set(COMMAND_TYPES.values()) - set(HANDLERS) == {commands.OpenTrajectory, commands.FireDeadline}
    assert {command for _, command in CLI_STEPS} == set(COMMAND_TYPES.values()) - {commands.FireDeadline}


def test_the_cli_reads_the_registry() -> None:
    assert [(noun, verb) for noun, verb, _, _ in STEPS] == [(cli.noun, cli.verb) for cli, _ in CLI_STEPS]
    assert {name: field.help for name, field in FIELDS.items()} == FIELD_HELP
    assert ("selfevaluation", "submit") in {(noun, verb) for noun, verb, _, _ in STEPS}


def test_summaries_come_from_the_concept() -> None:
    event = EVENT_TYPES["SurveyClosed"].model_validate(
        {"trajectory_id": "t-1", "occurred_at": "2026-01-05T09:00:00Z", "closed_on": "2026-01-05"}
    )
    assert summarize(event) == "Evaluatie gesloten zonder antwoord"


def _handler(state: object, command: object, ctx: object) -> list[Event]:
    return []


_EXTEND = CommandPart(commands.ExtendValidity, _handler, Cli("probe", "run", "Probeer."))
_GOOD_FIELDS = {"months": Field("Maanden.", 3), "reason": Field("Toelichting.", "Overmacht.")}


def test_a_complete_concept_is_accepted() -> None:
    concept = Concept(name="probe", commands=(_EXTEND,), fields=_GOOD_FIELDS)
    assert concept.commands[0].decide is _handler


def test_a_concept_without_a_decide_handler_fails_naming_it() -> None:
    with pytest.raises(ConceptIncomplete, match=r"concept 'probe' misses the decide handler of ExtendValidity"):
        Concept(
            name="probe",
            commands=(CommandPart(commands.ExtendValidity, None, Cli("probe", "run", "Probeer.")),),
            fields=_GOOD_FIELDS,
        )


def test_a_command_field_without_help_fails_naming_the_field() -> None:
    with pytest.raises(ConceptIncomplete, match=r"misses help and example for field 'months' of ExtendValidity"):
        Concept(name="probe", commands=(_EXTEND,), fields={"reason": _GOOD_FIELDS["reason"]})


def test_an_example_the_command_refuses_fails_naming_the_command() -> None:
    with pytest.raises(ConceptIncomplete, match=r"the examples do not make a valid ExtendValidity"):
        Concept(name="probe", commands=(_EXTEND,), fields={**_GOOD_FIELDS, "months": Field("Maanden.", 99)})


def test_an_event_without_a_summary_or_step_fails_naming_it() -> None:
    with pytest.raises(ConceptIncomplete, match=r"the evolve step of SurveyClosed; the Dutch summary of SurveyClosed"):
        Concept(name="probe", events=(EventPart(events.SurveyClosed, None, None),))  # type: ignore[arg-type]
