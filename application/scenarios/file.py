"""A scenario file: one trajectory's commands at given moments, with what the author expects of them.

YAML, for planners rehearsing a case and CBCT staff checking a framework version's rules:

```yaml
name: Reguliere hercertificering          # optional
trajectory: rehearsal-1                   # optional; default: the file's name
until: 2026-12-01                         # optional; the world stops here (default: the last step)
steps:
  - at: 2025-09-01 10:00                  # Amsterdam time; a date alone means 09:00
    command: OpenTrajectory               # any command of `cbct` (see `domain/commands.py`)
    organisation: Bibliotheek Voorbeeld   # the command's own fields
    ...
    expect:                               # optional, checked right after this step
      accepted: true                      # or `rule: postponement.merger_window` (refused by that rule)
      events: [TrajectoryOpened]          # the event types this command appended, in order
      deadlines: [announcement]           # deadlines open afterwards (others may be open too), or {kind, due}
      register: {result: null}            # fields of the register row (result, remark, status, certified_until)
expect:                                   # optional, checked when the world stops
  events: [CertificationDecided]          # these event types occur in this order (others may lie between)
  deadlines: [...]
  register: {...}
```

`command_id`, `trajectory_id` and `actor` may be left out (default: `<trajectory>/<n>-<command>`, the
scenario's trajectory, `scenario`). A malformed file is refused as a whole with `ScenarioFileError`,
which names the step (1-based) and the field.

A scenario file is input from anyone, and a run drives real workflows and a time-skipping server, so
the file is bounded before anything runs (`LIMITS`): only a regular file of at most 1 MiB is read (not
`/dev/zero`, not a FIFO); the YAML may nest 20 levels and expand to 200,000 values (aliases count each
time they are used: anchors for a shared contact list are fine, a "billion laughs" is not); at most 500
steps; every moment and date between 2000-01-01 and 2100-12-31, as in the commands; and the world runs
at most 10 years, from the first step to `until`. Values are bounded by the command models themselves.
"""

from __future__ import annotations

import itertools
import re
from calendar import isleap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from application.input_errors import dutch_message
from application.input_file import InputFileError, read_text_file
from application.scenarios.bounded_yaml import BoundedYamlError, load_bounded_yaml
from application.trajectories import InvalidCommandInput, parse_command, rules_for_version
from domain import COMMAND_TYPES, Command
from domain.calendar import AMSTERDAM, local_moment
from domain.commands import FIRST_DAY, LAST_DAY

DEFAULT_ACTOR = "scenario"
DEFAULT_HOUR = time(9, 0)
REGISTER_FIELDS = ("result", "remark", "status", "certified_until")
_STEP_KEYS = {"at", "command", "expect"}
_EXPECT_KEYS = {"accepted", "rule", "events", "deadlines", "register"}
_TOP_KEYS = {"name", "trajectory", "until", "steps", "expect"}

MAX_FILE_BYTES = 1024 * 1024
"""The shipped scenarios are 2-3 KB; 1 MiB holds 500 richly written steps, and parses in about a second."""
MAX_DEPTH = 20
"""A scenario nests 7 levels (file, steps, step, expect, deadlines, one deadline, its field)."""
MAX_VALUES = 200_000
"""Values in the document after expanding its aliases: far more than 500 steps hold, far less than a bomb."""
MAX_STEPS = 500
"""A real trajectory has some tens of commands; each step is a real workflow update in skipped time."""
MAX_SPAN_YEARS = 10
"""Two certification cycles and then some: the time-skipping server is never asked to skip centuries."""
MAX_TEXT = 200
"""A name, rule, event type, deadline kind or register value, as a command's `Text`."""


class ScenarioFileError(ValueError):
    """The file is no valid scenario; names the step (1-based, 0 for the file itself) and the field."""

    def __init__(self, message: str, *, step: int | None = None, field: str | None = None) -> None:
        where = []
        if step:
            where.append(f"stap {step}")
        if field:
            where.append(f"veld '{field}'")
        super().__init__(f"{', '.join(where)}: {message}" if where else message)
        self.step = step
        self.field = field
        self.reason = message


@dataclass(frozen=True)
class ExpectedDeadline:
    """A pending deadline: its kind, and the day it is due (Amsterdam) when given."""

    kind: str
    due: date | None = None


@dataclass(frozen=True)
class Expectation:
    """What the author expects; None means 'not checked'."""

    accepted: bool | None = None
    rule: str | None = None
    events: tuple[str, ...] | None = None
    deadlines: tuple[ExpectedDeadline, ...] | None = None
    register: Mapping[str, str | date | None] | None = None

    @property
    def empty(self) -> bool:
        return all(v is None for v in (self.accepted, self.rule, self.events, self.deadlines, self.register))


@dataclass(frozen=True)
class ScenarioStep:
    """One command, decided at ``at`` (aware, UTC)."""

    number: int
    at: datetime
    command: Command
    expect: Expectation


@dataclass(frozen=True)
class Scenario:
    """A parsed scenario file."""

    name: str
    trajectory_id: str
    steps: tuple[ScenarioStep, ...]
    until: datetime
    expect: Expectation


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file: a regular file of at most `MAX_FILE_BYTES` (the message of a
    `ScenarioFileError` leaves the file's name to the caller)."""
    file = Path(path)
    try:
        text = read_text_file(file, max_bytes=MAX_FILE_BYTES)
    except InputFileError as error:
        raise ScenarioFileError(str(error).removeprefix(f"{file}: ")) from None
    return parse_scenario(text, default_name=file.stem)


def parse_scenario(text: str, *, default_name: str = "scenario") -> Scenario:
    """Validate a scenario's YAML text; every error names the step and the field."""
    try:
        data = load_bounded_yaml(text, max_depth=MAX_DEPTH, max_nodes=MAX_VALUES)
    except BoundedYamlError as error:
        raise ScenarioFileError(str(error)) from None
    if not isinstance(data, dict):
        raise ScenarioFileError("verwacht een YAML-mapping met ten minste 'steps'")
    _no_unknown(data, _TOP_KEYS, None)
    name = _text(data.get("name", default_name), None, "name")
    trajectory_id = _text(data.get("trajectory", _slug(default_name)), None, "trajectory")
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise ScenarioFileError("verwacht een lijst met ten minste één stap", field="steps")
    if len(raw_steps) > MAX_STEPS:
        raise ScenarioFileError(
            f"te veel stappen ({len(raw_steps)}; ten hoogste {MAX_STEPS}): een traject kent enkele tientallen "
            "commando's, en elke stap gaat door de echte workflow",
            field="steps",
        )
    framework = next(
        (
            str(raw.get("framework_version"))
            for raw in raw_steps
            if isinstance(raw, dict) and raw.get("command") == "OpenTrajectory"
        ),
        None,
    )
    steps = tuple(_step(raw, number, trajectory_id, framework) for number, raw in enumerate(raw_steps, start=1))
    for earlier, later in itertools.pairwise(steps):
        if later.at < earlier.at:
            raise ScenarioFileError(
                f"{_local(later.at)} ligt vóór stap {earlier.number} ({_local(earlier.at)}); "
                "stappen staan op tijdsvolgorde",
                step=later.number,
                field="at",
            )
    until = _moment(data["until"], None, "until") if "until" in data else steps[-1].at
    if until < steps[-1].at:
        raise ScenarioFileError(f"{_local(until)} ligt vóór de laatste stap ({_local(steps[-1].at)})", field="until")
    _within_span(steps[0].at, until, None if "until" in data else steps[-1].number)
    expect = _expectation(data.get("expect"), None, final=True)
    return Scenario(name=name, trajectory_id=trajectory_id, steps=steps, until=until, expect=expect)


def _within_span(start: datetime, until: datetime, last_step: int | None) -> None:
    """The world runs from the first step to `until` (or the last step): at most `MAX_SPAN_YEARS`."""
    first = start.astimezone(AMSTERDAM).date()
    day = 28 if first.month == 2 and first.day == 29 and not isleap(first.year + MAX_SPAN_YEARS) else first.day
    limit = first.replace(year=first.year + MAX_SPAN_YEARS, day=day)
    if until.astimezone(AMSTERDAM).date() > limit:
        raise ScenarioFileError(
            f"{_local(until)} ligt meer dan {MAX_SPAN_YEARS} jaar na de eerste stap ({_local(start)}); "
            f"een scenario beslaat ten hoogste {MAX_SPAN_YEARS} jaar versnelde tijd",
            step=last_step,
            field="at" if last_step else "until",
        )


def _step(raw: Any, number: int, trajectory_id: str, framework: str | None) -> ScenarioStep:
    if not isinstance(raw, dict):
        raise ScenarioFileError("verwacht een mapping met 'at' en 'command'", step=number)
    for key in ("at", "command"):
        if key not in raw:
            raise ScenarioFileError("ontbreekt", step=number, field=key)
    at = _moment(raw["at"], number, "at")
    kind = raw["command"]
    if not isinstance(kind, str) or kind not in COMMAND_TYPES or kind == "FireDeadline":
        known = ", ".join(sorted(k for k in COMMAND_TYPES if k != "FireDeadline"))
        raise ScenarioFileError(f"onbekend commando {kind!r}; bekend: {known}", step=number, field="command")
    fields = {k: _plain(v) for k, v in raw.items() if k not in _STEP_KEYS}
    fields.setdefault("trajectory_id", trajectory_id)
    fields.setdefault("command_id", f"{trajectory_id}/{number}-{kind}")
    fields.setdefault("actor", DEFAULT_ACTOR)
    if kind == "RecordAuditScores" and isinstance(fields.get("scores"), dict):
        fields["scores"] = _expand_scores(fields["scores"], framework, number)
    try:
        command = parse_command(kind, fields)
    except InvalidCommandInput as error:
        first = error.errors[0] if error.errors else {}
        field = ".".join(str(part) for part in first.get("loc", ())) or None
        raise ScenarioFileError(dutch_message(first) if first else str(error), step=number, field=field) from None
    return ScenarioStep(number=number, at=at, command=command, expect=_expectation(raw.get("expect"), number))


def _expand_scores(scores: dict[str, Any], framework: str | None, step: int) -> dict[str, Any]:
    """Shorthand for a norm's four questions: `"6": Beperkt` scores each question of norm 6 `Beperkt`;
    `"*": Volledig` every base norm not named. Per question (`"6": {a: Beperkt, …}`) stays as written."""
    if not any(isinstance(v, str) for v in scores.values()):
        return scores
    if framework is None:
        raise ScenarioFileError(
            "een score per norm vraagt het kader van de OpenTrajectory-stap; geef anders per vraag een score",
            step=step,
            field="scores",
        )
    try:
        rules = rules_for_version(framework)
    except Exception:  # an unknown framework is reported by the OpenTrajectory step itself
        return scores
    expanded: dict[str, Any] = {}
    default = scores.get("*")
    norms = [n for n in scores if n != "*"]
    if default is not None:
        norms = [*rules.base_norm_ids, *(n for n in norms if n not in rules.base_norm_ids)]
    for norm in norms:
        value = scores.get(norm, default)
        try:
            questions = [q.id for q in rules.norm(norm).questions]
        except (KeyError, ValueError):
            raise ScenarioFileError(
                f"norm {norm!r} bestaat niet in {framework}", step=step, field=f"scores.{norm}"
            ) from None
        expanded[norm] = {q: value for q in questions} if isinstance(value, str) else value
    return expanded


def _expectation(raw: Any, step: int | None, *, final: bool = False) -> Expectation:
    if raw is None:
        return Expectation()
    if not isinstance(raw, dict):
        raise ScenarioFileError("verwacht een mapping", step=step, field="expect")
    _no_unknown(raw, _EXPECT_KEYS - ({"accepted", "rule"} if final else set()), step, prefix="expect.")
    accepted = raw.get("accepted")
    if accepted is not None and not isinstance(accepted, bool):
        raise ScenarioFileError("verwacht true of false", step=step, field="expect.accepted")
    rule = raw.get("rule")
    if rule is not None:
        rule = _text(rule, step, "expect.rule")
        if accepted is True:
            raise ScenarioFileError(
                "een regel hoort bij een weigering (accepted: false)", step=step, field="expect.rule"
            )
        accepted = False
    events = raw.get("events")
    if events is not None:
        if not isinstance(events, list) or not all(isinstance(e, str) and e for e in events):
            raise ScenarioFileError("verwacht een lijst met namen van gebeurtenissen", step=step, field="expect.events")
        events = tuple(events)
    deadlines = None
    if "deadlines" in raw:
        deadlines = _deadlines(raw["deadlines"], step)
    register = None
    if "register" in raw:
        register = _register(raw["register"], step)
    return Expectation(accepted=accepted, rule=rule, events=events, deadlines=deadlines, register=register)


def _deadlines(raw: Any, step: int | None) -> tuple[ExpectedDeadline, ...]:
    field = "expect.deadlines"
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ScenarioFileError("verwacht een lijst met termijnsoorten (of {kind, due})", step=step, field=field)
    found = []
    for index, item in enumerate(raw):
        where = f"{field}[{index}]"
        if isinstance(item, str) and item:
            found.append(ExpectedDeadline(_text(item, step, where)))
        elif isinstance(item, dict):
            _no_unknown(item, {"kind", "due"}, step, prefix=f"{where}.")
            kind = _text(item.get("kind"), step, f"{where}.kind")
            due = item.get("due")
            if due is not None and not isinstance(due, date):
                raise ScenarioFileError("verwacht een datum (JJJJ-MM-DD)", step=step, field=f"{where}.due")
            if due is not None:
                _in_range(due, step, f"{where}.due")
            found.append(ExpectedDeadline(kind, due if not isinstance(due, datetime) else due.date()))
        else:
            raise ScenarioFileError("verwacht een termijnsoort of {kind, due}", step=step, field=where)
    return tuple(found)


def _register(raw: Any, step: int | None) -> dict[str, str | date | None]:
    field = "expect.register"
    if not isinstance(raw, dict):
        raise ScenarioFileError(f"verwacht een mapping met {', '.join(REGISTER_FIELDS)}", step=step, field=field)
    _no_unknown(raw, set(REGISTER_FIELDS), step, prefix=f"{field}.")
    result: dict[str, str | date | None] = {}
    for key, value in raw.items():
        if value is not None and not isinstance(value, str | date):
            raise ScenarioFileError("verwacht tekst, een datum of null", step=step, field=f"{field}.{key}")
        if isinstance(value, date):
            _in_range(value, step, f"{field}.{key}")
        elif isinstance(value, str) and len(value) > MAX_TEXT:
            raise ScenarioFileError(f"te lang (ten hoogste {MAX_TEXT} tekens)", step=step, field=f"{field}.{key}")
        result[key] = value
    return result


def _moment(value: Any, step: int | None, field: str) -> datetime:
    """An aware UTC instant from a YAML date, datetime or text; naive values are Amsterdam time."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        return local_moment(_in_range(value, step, field), DEFAULT_HOUR)
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            shown = value if len(value) <= 40 else value[:40] + "…"
            raise ScenarioFileError(
                f"{shown!r} is geen moment (JJJJ-MM-DD of JJJJ-MM-DD UU:MM)", step=step, field=field
            ) from None
        if len(value.strip()) == 10:
            return local_moment(_in_range(moment.date(), step, field), DEFAULT_HOUR)
    else:
        raise ScenarioFileError("verwacht een datum of moment (JJJJ-MM-DD UU:MM)", step=step, field=field)
    _in_range(moment.date(), step, field)  # before any time-zone arithmetic, which overflows at year 1 or 9999
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=AMSTERDAM)
    return moment.astimezone(UTC)


def _in_range(day: date, step: int | None, field: str) -> date:
    """Dates as the commands take them: the store's events must be readable by every view for ever, and
    Temporal's test server fails (a Java NullPointerException) when asked for the year 9999."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ScenarioFileError(
            f"{day.isoformat()} ligt niet tussen {FIRST_DAY.isoformat()} en {LAST_DAY.isoformat()}",
            step=step,
            field=field,
        )
    return day


def _text(value: Any, step: int | None, field: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip():
        raise ScenarioFileError("verwacht een niet-lege tekst", step=step, field=field)
    text = str(value).strip()
    if len(text) > MAX_TEXT:
        raise ScenarioFileError(f"te lang (ten hoogste {MAX_TEXT} tekens)", step=step, field=field)
    if any(ord(c) < 32 or 127 <= ord(c) < 160 for c in text):
        raise ScenarioFileError("moet één regel tekst zijn, zonder stuurtekens", step=step, field=field)
    return text


def _plain(value: Any) -> Any:
    """YAML values as the command models read them (dates stay dates; nested lists and mappings kept)."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _no_unknown(raw: Mapping[str, Any], known: set[str], step: int | None, *, prefix: str = "") -> None:
    for key in raw:
        if key not in known:
            allowed = ", ".join(sorted(known))
            raise ScenarioFileError(f"onbekend veld (toegestaan: {allowed})", step=step, field=f"{prefix}{key}")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-") or "scenario"


def _local(moment: datetime) -> str:
    return moment.astimezone(AMSTERDAM).strftime("%Y-%m-%d %H:%M")


def expected_register_value(value: str | date | None) -> str | None:
    """An expected register value as the register prints it."""
    return value.isoformat() if isinstance(value, date) else value


__all__: Sequence[str] = (
    "Expectation",
    "ExpectedDeadline",
    "Scenario",
    "ScenarioFileError",
    "ScenarioStep",
    "load_scenario",
    "parse_scenario",
)
