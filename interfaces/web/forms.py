"""HTML forms generated from the domain commands, so a form cannot drift from what the domain accepts.

Each CLI step (`domain.registry.CLI_STEPS`) is a `CommandForm`: one `FormField` per field of the command
(the envelope — command id, trajectory, actor — comes from the page, the form and the session), with
its widget chosen from the field's type, its hint and example from the concept's `FIELDS`, and its
Dutch label from `LABELS` (a test checks every field has one). What is posted goes back through the
command's own pydantic model: the very validation of the API and the CLI. Its errors come back per
field as a Dutch sentence (`sentence`, in the shared wording of `application.input_errors`); the input
is kept as typed (`FormState.values`), so nothing is lost.

Widgets, by the field's type:

| type                                  | widget                                                     |
|---------------------------------------|------------------------------------------------------------|
| `str` up to 200 characters            | text input (`email` for e-mail fields)                     |
| longer `str` (prose)                  | textarea                                                   |
| `int`                                 | number input with the field's bounds                       |
| `date`                                | date input                                                 |
| `Quarter`                             | text input (`2026-K4`)                                     |
| `bool`                                | two radio buttons (`BOOL_CHOICES`, else Ja/Nee)           |
| enum                                  | select of its values (CBCT's Dutch words)                  |
| tuple of lines                        | textarea, one per line                                     |
| tuple of prose                        | textarea, separated by an empty line                       |
| tuple of dates                        | a few date inputs                                          |
| tuple of a model (contacts)           | a few rows of the model's fields                           |
| dict, other models (scores)           | textarea of JSON, the example shown                        |

Forms are posted with `novalidate`: the browser's own messages (in its language) give way to CBCT's.
"""

from __future__ import annotations

import json
import re
import types
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from application.input_errors import dutch_message
from domain.calendar import Quarter
from domain.commands import Command
from domain.concept import ENVELOPE
from domain.registry import CLI_STEPS, FIELDS

Kind = Literal["text", "email", "textarea", "number", "date", "quarter", "bool", "select", "lines", "blocks",
               "dates", "rows", "json"]  # fmt: skip

LABELS: Mapping[str, str] = {
    "organisation": "Organisatie",
    "certificate_number": "Certificaatnummer",
    "association": "Branchevereniging",
    "framework_version": "Kader",
    "previous_certificate_expiry": "Einddatum van het lopende certificaat",
    "audit_quarter": "Auditkwartaal",
    "previous_auditors": "Auditoren van de vorige audit",
    "contact_email": "E-mailadres voor de aankondiging",
    "organisation_type": "Soort organisatie",
    "reason": "Toelichting",
    "contacts": "Contactpersonen",
    "locations": "Vestigingen",
    "employees": "Aantal medewerkers",
    "services": "Diensten",
    "auditor": "Auditor",
    "relation": "Relatie met de auditee",
    "audit_dates": "Auditdatum",
    "expert_auditor": "Deskundige auditor",
    "peer_auditor": "Collega-auditor (peer)",
    "scores": "Scores per norm en vraag",
    "indicators": "Indicatoren",
    "findings": "Bevindingen",
    "improvement_points": "Verbeterpunten",
    "documents": "Documenten",
    "days": "Aantal dagen verlenging",
    "ground": "Grond voor uitstel",
    "ground_effective_on": "Datum waarop de grond ingaat",
    "grant": "Besluit over het uitstel",
    "request_number": "Volgnummer van het verzoek",
    "new_quarter": "Nieuw auditkwartaal",
    "new_audit_dates": "Nieuwe auditdatum",
    "summary": "Samenvatting",
    "reaction": "Uw reactie",
    "verdict": "Oordeel",
    "motivation": "Motivering",
    "grounds": "Gronden van het bezwaar",
    "upheld": "Oordeel over het bezwaar",
    "answer": "Uw oordeel",
    "comment": "Toelichting",
    "months": "Aantal maanden verlenging",
    # the fields of a nested model (a contact of the intake)
    "name": "Naam",
    "email": "E-mailadres",
    "role": "Functie",
}
"""The Dutch label of each command field (the concept's help text is shown under it as the hint)."""

HINTS: Mapping[str, str] = {
    "contacts": "Vul per contactpersoon naam en e-mailadres in; de functie mag leeg blijven.",
    "ground": "De reden waarom u uitstel vraagt.",
}
"""Hints that replace the concept's help where that speaks of the command line (JSON, flags)."""

BOOL_CHOICES: Mapping[str, tuple[str, str]] = {
    "grant": ("Verlenen", "Weigeren"),
    "upheld": ("Gegrond", "Ongegrond"),
}
"""The words for yes and no of a yes/no field (default: Ja, Nee)."""

REPEATED_INPUTS = 3
"""How many date inputs or model rows a repeatable field offers (fewer when the command allows fewer)."""

_DATE_FORMAT = re.compile(r"\s*\(?JJJJ-MM-DD\)?")
_CLI_REMARKS = re.compile(r"\s*\((?:--[^)]*|herhaalbaar[^)]*|zie de foutmelding[^)]*|JSON[^)]*)\)")


def hint_of(name: str) -> str:
    """The field's hint: the concept's Dutch help without the command line's remarks."""
    if name in HINTS:
        return HINTS[name]
    declared = FIELDS.get(name)
    return _CLI_REMARKS.sub("", declared.help).strip() if declared else ""


# --- reading the command's types ------------------------------------------------------------------------


def _parts(annotation: Any) -> tuple[Any, list[Any], bool]:
    """(the bare type, the metadata of its `Annotated` layers, whether None is allowed)."""
    metadata: list[Any] = []
    optional = False
    while True:
        if get_origin(annotation) is Annotated:
            annotation, *extra = get_args(annotation)
            metadata += extra
        elif get_origin(annotation) in (Union, types.UnionType):
            args = [a for a in get_args(annotation) if a is not type(None)]
            optional = optional or len(args) < len(get_args(annotation))
            if len(args) != 1:
                return annotation, metadata, optional
            annotation = args[0]
        else:
            return annotation, metadata, optional


def _bound(metadata: Sequence[Any], name: str) -> Any:
    for item in metadata:
        value = getattr(item, name, None)
        if value is not None:
            return value
    return None


def _is_class(value: Any, base: type) -> bool:
    return isinstance(value, type) and issubclass(value, base)


@dataclass(frozen=True)
class FormField:
    """One input (or group of inputs) of a generated form."""

    name: str
    label: str
    hint: str
    example: str | None
    kind: Kind
    required: bool
    choices: tuple[tuple[str, str], ...] = ()
    max_length: int | None = None
    minimum: int | None = None
    maximum: int | None = None
    repeat: int = 1
    subfields: tuple[FormField, ...] = ()

    @property
    def multiline(self) -> bool:
        return self.kind in ("textarea", "lines", "blocks", "json")


def _example_text(value: Any, kind: Kind) -> str | None:
    """The concept's example as the form shows it; none for choices and for prose (a generic reason
    would read as advice)."""
    if value is None or kind in ("bool", "select", "rows", "textarea", "blocks", "date", "dates"):
        return None
    if kind == "json":
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def _field(name: str, info: FieldInfo, *, nested: bool = False) -> FormField:
    bare, metadata, optional = _parts(info.annotation)
    metadata = [*metadata, *info.metadata]
    required = info.is_required() and not optional
    label = LABELS.get(name, name)
    hint = "" if nested else hint_of(name)
    if bare is date or (get_origin(bare) in (tuple, list) and _parts(get_args(bare)[0])[0] is date):
        hint = _DATE_FORMAT.sub("", hint)  # a date input shows its own format
    if hint.rstrip(".").casefold() == label.casefold():
        hint = ""  # a help text that only repeats the label
    declared = FIELDS.get(name)
    example_value = declared.example if declared and not nested else None
    maximum_length = _bound(metadata, "max_length")

    kind: Kind
    choices: tuple[tuple[str, str], ...] = ()
    repeat, minimum, maximum = 1, None, None
    subfields: tuple[FormField, ...] = ()
    origin = get_origin(bare)
    if bare is bool:
        kind = "bool"
        yes, no = BOOL_CHOICES.get(name, ("Ja", "Nee"))
        choices = (("ja", yes), ("nee", no))
    elif _is_class(bare, Enum):
        kind = "select"
        choices = tuple((str(member.value), str(member.value)) for member in bare)
    elif bare is int:
        kind = "number"
        minimum, maximum = _bound(metadata, "ge"), _bound(metadata, "le")
    elif bare is date:
        kind = "date"
    elif bare is Quarter:
        kind = "quarter"
    elif bare is str:
        kind = "email" if name.endswith("email") else ("text" if (maximum_length or 0) <= 200 else "textarea")
    elif origin in (tuple, list):
        item, item_metadata, _ = _parts(get_args(bare)[0])
        count = min(maximum_length or REPEATED_INPUTS, REPEATED_INPUTS)
        if _is_class(item, BaseModel):
            kind, repeat = "rows", count
            subfields = tuple(_field(sub, sub_info, nested=True) for sub, sub_info in item.model_fields.items())
        elif item is date:
            kind, repeat = "dates", count
        elif (_bound(item_metadata, "max_length") or 0) > 200:
            kind = "blocks"
        else:
            kind = "lines"
        maximum_length = None
    else:
        kind = "json"
    if kind == "lines":
        hint = f"{hint} Eén per regel.".strip()
    elif kind == "blocks":
        hint = f"{hint} Meer dan één? Laat een lege regel tussen elk.".strip()
    elif kind == "json":
        hint = f"{hint} In JSON.".strip()
    elif kind == "dates":
        hint = f"{hint} Eén of meer dagen; laat de rest leeg.".strip()
    return FormField(
        name=name,
        label=label,
        hint=hint,
        example=_example_text(example_value, kind),
        kind=kind,
        required=required,
        choices=choices,
        max_length=maximum_length if kind in ("text", "email", "textarea", "quarter") else None,
        minimum=minimum,
        maximum=maximum,
        repeat=repeat,
        subfields=subfields,
    )


# --- a form, and what was posted to it ------------------------------------------------------------------


class FormErrors(Exception):
    """The input does not make a valid command: Dutch messages per field, and for the form as a whole."""

    def __init__(self, fields: dict[str, list[str]], general: list[str]) -> None:
        super().__init__("; ".join([*general, *(m for ms in fields.values() for m in ms)]))
        self.fields = fields
        self.general = general


Values = dict[str, Any]
"""What was typed, by input name (a list for repeated inputs), to fill the form in again."""


@dataclass(frozen=True)
class CommandForm:
    """A command as a form: its step (noun, verb), its Dutch title and its fields."""

    command: type[Command]
    noun: str
    verb: str
    title: str
    fields: tuple[FormField, ...]

    @property
    def name(self) -> str:
        return self.command.__name__

    @property
    def slug(self) -> str:
        """The step in a URL and an HTML id: `postponement-request`."""
        return f"{self.noun}-{self.verb}"

    @classmethod
    def of(cls, command: type[Command], noun: str, verb: str, title: str) -> CommandForm:
        fields = tuple(_field(name, info) for name, info in command.model_fields.items() if name not in ENVELOPE)
        return cls(command, noun, verb, title, fields)

    def values_of(self, posted: Any) -> Values:
        """The posted input as typed (`posted`: Starlette's `FormData`, or any `getlist` mapping)."""
        values: Values = {}
        for f in self.fields:
            if f.kind == "dates":
                values[f.name] = [str(v) for v in posted.getlist(f.name)][: f.repeat]
            elif f.kind == "rows":
                for row in range(f.repeat):
                    for sub in f.subfields:
                        key = f"{f.name}.{row}.{sub.name}"
                        values[key] = str(posted.get(key) or "")
            else:
                values[f.name] = str(posted.get(f.name) or "")
        return values

    def payload(self, values: Values) -> dict[str, Any]:
        """The command's fields from the typed input (empty inputs left out); JSON that does not parse
        is a `FormErrors` naming the field."""
        payload: dict[str, Any] = {}
        broken: dict[str, list[str]] = {}
        for f in self.fields:
            if f.kind == "rows":
                rows = []
                for row in range(f.repeat):
                    cells = {sub.name: values.get(f"{f.name}.{row}.{sub.name}", "").strip() for sub in f.subfields}
                    if any(cells.values()):
                        rows.append({k: v for k, v in cells.items() if v})
                if rows:
                    payload[f.name] = rows
                continue
            raw = values.get(f.name)
            if f.kind == "dates":
                days = [d.strip() for d in raw or [] if d.strip()]
                if days:
                    payload[f.name] = days
                continue
            text = str(raw or "")
            if not text.strip():
                continue
            if f.kind == "bool":
                payload[f.name] = {"ja": True, "nee": False}.get(text, text)
            elif f.kind == "lines":
                payload[f.name] = [line.strip() for line in text.splitlines() if line.strip()]
            elif f.kind == "blocks":
                payload[f.name] = [b.strip() for b in re.split(r"\n\s*\n", text.replace("\r\n", "\n")) if b.strip()]
            elif f.kind == "json":
                try:
                    payload[f.name] = json.loads(text)
                except json.JSONDecodeError as error:
                    broken[f.name] = [f"{f.label} is geen geldige JSON ({error.msg}, regel {error.lineno})."]
            else:
                payload[f.name] = text
        if broken:
            raise FormErrors(broken, [])
        return payload

    def command_of(self, values: Values, *, command_id: str, trajectory_id: str, actor: str) -> Command:
        """The command the input makes, validated by the domain's own model; else `FormErrors`."""
        payload = self.payload(values)
        try:
            return self.command.model_validate(
                {**payload, "command_id": command_id, "trajectory_id": trajectory_id, "actor": actor}
            )
        except ValidationError as error:
            raise self._errors(error.errors()) from None

    def _errors(self, errors: Sequence[ErrorDetails]) -> FormErrors:
        known = {f.name: f for f in self.fields}
        fields: dict[str, list[str]] = {}
        general: list[str] = []
        items_wrong = {str(e["loc"][0]) for e in errors if len(e.get("loc", ())) >= 2}
        for error in errors:
            loc = [str(part) for part in error.get("loc", ())]
            own = known.get(loc[0]) if loc else None
            if own is None:
                general.append(sentence("", error))
                continue
            if error.get("type") == "too_short" and own.name in items_wrong:
                continue  # pydantic counts only the valid items: "too few" would mislead next to their errors
            subject = own.label
            if own.kind == "rows" and len(loc) >= 3 and loc[1].isdigit():
                subject = f"{own.label}, rij {int(loc[1]) + 1}: {LABELS.get(loc[2], loc[2]).lower()}"
            elif own.kind in ("lines", "blocks", "dates") and len(loc) >= 2 and loc[1].isdigit():
                subject = f"{own.label}, nummer {int(loc[1]) + 1},"
            message = sentence(subject, error)
            if message not in fields.setdefault(own.name, []):
                fields[own.name].append(message)
        return FormErrors(fields, general)


def new_command_id() -> str:
    """The id a freshly shown form carries: posting it twice applies it once."""
    return f"web-{uuid.uuid4()}"


@dataclass
class FormState:
    """A form as one page shows it: empty, or as posted with its errors and the explanation of a refusal."""

    form: CommandForm
    action: str
    values: Values = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)
    command_id: str = field(default_factory=new_command_id)
    fixed: dict[str, str] = field(default_factory=dict)
    """Single-input fields a page sets itself (posted as hidden inputs, not shown): e.g. the request a
    decision is about. Hidden is not trusted: the command's rules judge the value like any other."""

    @property
    def has_errors(self) -> bool:
        return bool(self.errors or self.general)

    submit_label: str = "Versturen"
    prefix: str = ""
    """Put before every HTML id of the form, when a page shows the same step more than once (the inbox)."""

    @property
    def form_id(self) -> str:
        return f"form-{self.prefix}{self.form.slug}"

    def id(self, name: str) -> str:
        """A unique HTML id for an input of this form on its page."""
        return f"{self.prefix}{self.form.slug}-{name.replace('.', '-')}"

    def anchor(self, f: FormField) -> str:
        """The id of the first input of `f` (where an error summary's link moves the focus)."""
        if f.kind == "bool":
            return f"{self.id(f.name)}-{f.choices[0][0]}"
        if f.kind == "dates":
            return f"{self.id(f.name)}-0"
        if f.kind == "rows":
            return self.id(f"{f.name}.0.{f.subfields[0].name}")
        return self.id(f.name)


FORMS: Mapping[str, CommandForm] = {
    command.__name__: CommandForm.of(command, cli.noun, cli.verb, cli.help) for cli, command in CLI_STEPS
}
"""Every command a person sends, as a form, by command type name, in the CLI's order."""

BY_STEP: Mapping[tuple[str, str], CommandForm] = {(f.noun, f.verb): f for f in FORMS.values()}


# --- Dutch messages: the shared wording of every input error, as a sentence about the field -------------


def predicate(error: Mapping[str, Any]) -> str:
    """What is wrong, in the words the CLI and the API use (`application.input_errors`), except where
    those are written for programmers (a regular expression is no help in a form)."""
    if error.get("type") == "string_pattern_mismatch":
        loc = [str(part) for part in error.get("loc", ())]
        if loc and loc[-1].endswith("email"):
            return "is geen geldig e-mailadres (zoals naam@voorbeeld.nl)"
        return "heeft niet de juiste vorm (letters, cijfers en _ . : @ -)"
    return dutch_message(error)


def sentence(subject: str, error: Mapping[str, Any]) -> str:
    """One error as a sentence about `subject`: `Aantal medewerkers moet een geheel getal zijn.`"""
    text = f"{subject} {predicate(error)}".strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")
