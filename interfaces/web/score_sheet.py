"""The auditor's score sheet: one row per beoordelingsvraag of each norm in the round's scope.

Generated from the framework (`domain.rules.Rules`: the norms, module 1 as a norm, their questions, the
score scale and the IDO indicator) and the round (its scope; whether the IDO indicator is due), so the
sheet cannot drift from what `RecordAuditScores` accepts. What is posted goes back through the command's
own form (`forms.FORMS["RecordAuditScores"]`): the scores and indicators as the JSON its generic form
takes, the findings and improvement points as typed. Pure: no I/O.

Input names: `score.<norm>.<question>` (a score's value, `Volledig`), `indicator.<id>` (`ja`/`nee`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from domain.rules import Rules
from domain.state import TrajectoryState
from domain.verdict import evaluate
from domain.vocabulary import RoundKind, Score
from interfaces.web.forms import FORMS, CommandForm, FormField, Values

SCORES_FORM: CommandForm = FORMS["RecordAuditScores"]
"""The command's generated form: its validation, and the widgets of findings and improvement points."""

PROSE_FIELDS: tuple[FormField, ...] = tuple(f for f in SCORES_FORM.fields if f.name not in ("scores", "indicators"))
"""The fields the sheet shows as the generated form does (findings, improvement points)."""

UNANSWERED = "Kies een score."


@dataclass(frozen=True)
class SheetQuestion:
    norm: str
    id: str
    text: str

    @property
    def name(self) -> str:
        return f"score.{self.norm}.{self.id}"

    @property
    def html_id(self) -> str:
        return f"score-{self.norm}-{self.id}".replace(".", "-")


@dataclass(frozen=True)
class SheetNorm:
    id: str
    name: str
    questions: tuple[SheetQuestion, ...]

    @property
    def kind(self) -> str:
        """`Norm`, or `Module` for module 1 (scored like a norm)."""
        return "Module" if self.id.startswith("M") else "Norm"

    @property
    def title(self) -> str:
        """`Norm 3 · Mensen`, `Module M1 · Educatieve dienstverlening`."""
        return f"{self.kind} {self.id} · {self.name}"


@dataclass(frozen=True)
class SheetIndicator:
    id: str
    text: str
    required: bool

    @property
    def name(self) -> str:
        return f"indicator.{self.id}"

    @property
    def html_id(self) -> str:
        return f"indicator-{self.id}".replace(".", "-")


@dataclass(frozen=True)
class ScoreSheet:
    """The sheet of one round: its norms with their questions, the score choices, the indicator."""

    norms: tuple[SheetNorm, ...]
    choices: tuple[str, ...]
    indicator: SheetIndicator | None

    @classmethod
    def of(cls, state: TrajectoryState, rules: Rules) -> ScoreSheet:
        """The sheet for the current round of `state` under its framework's `rules`."""
        norms = []
        for norm_id in state.round.scope:
            norm = rules.norm(norm_id)
            questions = tuple(SheetQuestion(norm.id, q.id, q.text) for q in norm.questions)
            norms.append(SheetNorm(norm.id, norm.name, questions))
        ido = rules.ido_indicator
        indicator = None
        if ido.norm in state.round.scope:
            required = state.intake is not None and state.intake.ido and state.round.kind is not RoundKind.HERAUDIT
            indicator = SheetIndicator(ido.id, ido.text, required)
        # the scale's order, lowest first (Niet .. Volledig), as the framework values them
        choices = tuple(score.value for score in sorted(Score, key=lambda s: rules.scale[s]))
        return cls(tuple(norms), choices, indicator)

    @property
    def questions(self) -> tuple[SheetQuestion, ...]:
        return tuple(q for norm in self.norms for q in norm.questions)

    def values_of(self, posted: Any) -> Values:
        """What was typed, by input name: every cell, the indicator, findings and improvement points."""
        values: Values = {q.name: str(posted.get(q.name) or "") for q in self.questions}
        if self.indicator is not None:
            values[self.indicator.name] = str(posted.get(self.indicator.name) or "")
        prose = SCORES_FORM.values_of(posted)
        values.update({f.name: prose[f.name] for f in PROSE_FIELDS})
        return values

    def command_values(self, values: Mapping[str, Any]) -> Values:
        """The input of the command's generated form: scores and indicators as its JSON fields."""
        scores: dict[str, dict[str, str]] = {}
        for q in self.questions:
            chosen = str(values.get(q.name) or "")
            if chosen:
                scores.setdefault(q.norm, {})[q.id] = chosen
        indicators: dict[str, bool | str] = {}
        if self.indicator is not None:
            answer = str(values.get(self.indicator.name) or "")
            if answer:
                indicators[self.indicator.id] = {"ja": True, "nee": False}.get(answer, answer)
        command_values: Values = {f.name: values.get(f.name, "") for f in PROSE_FIELDS}
        command_values["scores"] = json.dumps(scores, ensure_ascii=False) if scores else ""
        command_values["indicators"] = json.dumps(indicators, ensure_ascii=False)
        return command_values

    def anchor(self, cell_errors: Mapping[str, str]) -> str:
        """The HTML id of the first radio of the first question left empty (else of the first question)."""
        first = next((q for q in self.questions if q.name in cell_errors), None) or next(iter(self.questions), None)
        return f"{first.html_id}-0" if first is not None else "form-audit-scores"

    def unanswered(self, values: Mapping[str, Any]) -> dict[str, str]:
        """The cells left empty (by input name), to point at when the sheet comes back refused."""
        empty = {q.name: UNANSWERED for q in self.questions if not values.get(q.name)}
        if self.indicator is not None and self.indicator.required and not values.get(self.indicator.name):
            empty[self.indicator.name] = "Kies ja of nee."
        return empty


@dataclass(frozen=True)
class RecordedNorm:
    """A norm's recorded scores: the score per question, the norm score, and whether it fails the verdict."""

    norm: SheetNorm
    answers: dict[str, str]
    score: float | None
    failing: bool


def recorded_rows(state: TrajectoryState, rules: Rules) -> list[RecordedNorm]:
    """The round's recorded scores per norm; failing as the verdict rule judges it (`domain.verdict`)."""
    if not state.round.scores:
        return []
    failing = set(evaluate(state.round.scores, state.round.scope, state.round.heraudit_rule, rules)[0].failing_norms)
    rows = []
    for norm_id in state.round.scope:
        norm = rules.norm(norm_id)
        questions = tuple(SheetQuestion(norm.id, q.id, q.text) for q in norm.questions)
        rows.append(
            RecordedNorm(
                SheetNorm(norm.id, norm.name, questions),
                {q: str(score) for q, score in state.round.scores.get(norm_id, {}).items()},
                state.round.norm_scores.get(norm_id),
                norm_id in failing,
            )
        )
    return rows


def decimal(value: float) -> str:
    """A framework number as CBCT writes it: `1,5`."""
    return f"{value:g}".replace(".", ",")
