"""The form generator: every step a person sends is a form; what it posts is the domain's own command.

No browser and no server: the forms are built from `domain.registry.CLI_STEPS` and read back through
the commands' pydantic models, so these tests fail as soon as a command gains a field the forms cannot
offer, label or read back.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from starlette.datastructures import FormData, UploadFile

from domain.concept import ENVELOPE
from domain.registry import CLI_STEPS, FIELDS
from interfaces.web.forms import BY_STEP, FORMS, LABELS, CommandForm, FormErrors, FormField, FormState
from interfaces.web.render import environment

ENVELOPE_VALUES = {"command_id": "web-1", "trajectory_id": "T-1", "actor": "planner:piet"}


def typed(f: FormField, value: Any) -> list[tuple[str, str | UploadFile]]:
    """What a person types into the inputs of `f` to mean `value` (the inverse of reading the form)."""
    if value is None:
        return []
    if f.kind == "bool":
        return [(f.name, "ja" if value else "nee")]
    if f.kind == "dates":
        return [(f.name, str(day)) for day in value]
    if f.kind == "rows":
        return [(f"{f.name}.{n}.{k}", str(v)) for n, row in enumerate(value) for k, v in row.items()]
    if f.kind == "lines":
        return [(f.name, "\n".join(str(v) for v in value))]
    if f.kind == "blocks":
        return [(f.name, "\n\n".join(str(v) for v in value))]
    if f.kind == "json":
        import json

        return [(f.name, json.dumps(value))]
    return [(f.name, str(value))]


def test_every_step_a_person_sends_is_a_form_of_exactly_its_fields() -> None:
    assert [f.name for f in FORMS.values()] == [command.__name__ for _, command in CLI_STEPS]
    for cli, command in CLI_STEPS:
        form = BY_STEP[(cli.noun, cli.verb)]
        assert form.command is command
        assert [f.name for f in form.fields] == [n for n in command.model_fields if n not in ENVELOPE]


def test_every_field_has_a_dutch_label_and_its_concepts_hint() -> None:
    for form in FORMS.values():
        for f in form.fields:
            assert f.name in LABELS, f"{form.name}.{f.name} has no Dutch label in interfaces/web/forms.LABELS"
            for sub in f.subfields:
                assert sub.name in LABELS, f"{form.name}.{f.name}.{sub.name} has no Dutch label"
            assert "--" not in f.hint, (form.name, f.name, f.hint)  # the command line's flags stay out
    assert FORMS["RequestPostponement"].fields[0].hint  # the concepts' help is shown


@pytest.mark.parametrize("form", list(FORMS.values()), ids=lambda f: f.slug)
def test_the_concepts_examples_typed_into_the_form_make_the_example_command(form: CommandForm) -> None:
    example = {n: FIELDS[n].example for n in form.command.model_fields if n not in ENVELOPE}
    posted = FormData([pair for f in form.fields for pair in typed(f, example[f.name])])
    command = form.command_of(form.values_of(posted), **ENVELOPE_VALUES)
    assert command == form.command.model_validate({**example, **ENVELOPE_VALUES})


def test_widgets_follow_the_field_types() -> None:
    kinds = {(form.name, f.name): f.kind for form in FORMS.values() for f in form.fields}
    assert kinds[("RecordIntake", "contacts")] == "rows"
    assert kinds[("RecordIntake", "employees")] == "number"
    assert kinds[("RecordIntake", "locations")] == "lines"
    assert kinds[("ScheduleAudit", "audit_dates")] == "dates"
    assert kinds[("RequestPostponement", "ground")] == "select"
    assert kinds[("RequestPostponement", "reason")] == "textarea"
    assert kinds[("DecidePostponement", "grant")] == "bool"
    assert kinds[("DecidePostponement", "new_quarter")] == "quarter"
    assert kinds[("RecordAuditScores", "scores")] == "json"
    assert kinds[("RecordAuditScores", "findings")] == "blocks"
    assert kinds[("OpenTrajectory", "contact_email")] == "email"
    grant = next(f for f in FORMS["DecidePostponement"].fields if f.name == "grant")
    assert grant.choices == (("ja", "Verlenen"), ("nee", "Weigeren")) and grant.required
    employees = next(f for f in FORMS["RecordIntake"].fields if f.name == "employees")
    assert (employees.minimum, employees.maximum) == (1, 100_000)


def _errors(form: CommandForm, pairs: list[tuple[str, str | UploadFile]]) -> FormErrors:
    with pytest.raises(FormErrors) as caught:
        form.command_of(form.values_of(FormData(pairs)), **ENVELOPE_VALUES)
    return caught.value


def test_bad_input_is_explained_in_dutch_per_field() -> None:
    intake = FORMS["RecordIntake"]
    errors = _errors(intake, [("contacts.0.name", "An"), ("contacts.0.email", "geen-adres"), ("employees", "veel")])
    assert errors.fields == {
        "contacts": ["Contactpersonen, rij 1: e-mailadres is geen geldig e-mailadres (zoals naam@voorbeeld.nl)."],
        "locations": ["Vestigingen is verplicht."],
        "employees": ["Aantal medewerkers moet een geheel getal zijn."],
    }
    assert errors.general == []
    too_many = _errors(FORMS["ExtendValidity"], [("months", "25"), ("reason", "Brand.")])
    assert too_many.fields == {"months": ["Aantal maanden verlenging mag hoogstens 24 zijn."]}
    unchosen = _errors(FORMS["DecidePostponement"], [("reason", "Zie brief.")])
    assert unchosen.fields == {"grant": ["Besluit over het uitstel is verplicht."]}
    long_line = _errors(FORMS["RecordIntake"], [("locations", "Centrale\n" + "x" * 201)])
    assert long_line.fields["locations"] == ["Vestigingen, nummer 2, mag hoogstens 200 tekens hebben."]


def test_json_that_does_not_parse_is_named() -> None:
    errors = _errors(FORMS["RecordAuditScores"], [("scores", "{1: Volledig}")])
    assert list(errors.fields) == ["scores"]
    assert errors.fields["scores"][0].startswith("Scores per norm en vraag is geen geldige JSON")


def test_what_was_typed_is_kept_as_typed() -> None:
    intake = FORMS["RecordIntake"]
    pairs: list[tuple[str, str | UploadFile]] = [
        ("contacts.1.name", "Bo"),
        ("locations", "Centrale\n\nFiliaal Oost "),
        ("employees", "veel"),
    ]
    values = intake.values_of(FormData(pairs))
    assert values["contacts.1.name"] == "Bo" and values["contacts.0.name"] == ""
    assert values["locations"] == "Centrale\n\nFiliaal Oost "
    assert values["employees"] == "veel"


def _html(state: FormState) -> str:
    return environment.get_template("_form_fragment.html").render(form_state=state, csrf="het-token")


@pytest.mark.parametrize("form", list(FORMS.values()), ids=lambda f: f.slug)
def test_every_form_renders_with_a_label_for_each_input(form: CommandForm) -> None:
    html = _html(FormState(form, f"/trajecten/T-1/stap/{form.noun}/{form.verb}"))
    assert 'name="csrf_token" value="het-token"' in html and 'name="command_id" value="web-' in html
    ids = re.findall(r'<(?:input|select|textarea)[^>]* id="([^"]+)"', html)
    labelled = set(re.findall(r'<label for="([^"]+)"', html))
    assert set(ids) <= labelled, set(ids) - labelled
    assert len(ids) == len(set(ids))  # unique on the page


def test_a_page_may_fix_a_field_as_a_hidden_input() -> None:
    decide = FORMS["DecidePostponement"]
    html = _html(FormState(decide, "/x", fixed={"request_number": "2"}))
    assert '<input type="hidden" name="request_number" value="2">' in html
    assert '<input type="hidden" name="fixed" value="request_number">' in html
    assert "Volgnummer van het verzoek" not in html


def test_errors_and_typed_values_come_back_in_the_form() -> None:
    intake = FORMS["RecordIntake"]
    values = intake.values_of(FormData([("employees", "veel"), ("contacts.0.name", "<An>")]))
    state = FormState(intake, "/x", values, errors={"employees": ["Aantal medewerkers moet een geheel getal zijn."]})
    html = _html(state)
    assert 'value="veel"' in html and 'value="&lt;An&gt;"' in html  # kept, and escaped
    assert (
        'aria-invalid="true"' in html
        and 'aria-describedby="intake-record-employees-hint intake-record-employees-error"' in html
    )
    assert '<a href="#intake-record-employees">Aantal medewerkers moet een geheel getal zijn.</a>' in html
