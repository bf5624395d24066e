"""Commando's: één endpoint per stap van een traject (POST), met `Idempotency-Key`.

`POST /api/trajectories/{trajectory_id}/{noun}/{verb}` for every CLI step (`cbct <noun> <verb>`), with
the command's own fields as the body (`command_models`). Each request goes to its trajectory's workflow
through `App.temporal.trajectories.submit`, exactly as the CLI sends it: no second way into the store.

- The actor is the signed-in principal (`Principal.actor`), never a field of the body.
- Who: a trajectory the principal may not see is 404, as if unknown (an unknown trajectory is 404 for
  every command but the opening); then a command the principal's role may not send is 403
  (`application.access`). Visibility is read from the overview read model, and from the store itself
  when the read model does not (yet) show it visible, so a just-named auditor is not refused by lag.
- `Idempotency-Key` is the command id (1-100 characters: letters, digits and `_ . : @ -`, starting
  with a letter or digit). Clients should send one: a request retried with the same key and body is
  applied once and answered as the first time (same status, same body with the same events), with
  `Idempotent-Replayed: true` added; the same key with another body (or on behalf of someone else) is
  422. Without the header a fresh id is used, and a retry is a new command. A refused command wrote
  nothing, so its retry is decided again (the same refusal while nothing changed).
- Answers: 200 with the verdict (`CommandAccepted`); 409 refused by a CBCT rule (`rule`, Dutch
  `detail`); 422 malformed input naming each field and rule; 403, 404, 401; 503 with `Retry-After` when
  the engine or the database is away or no answer came within `command_wait_seconds` (send the same
  request with the same key again). Every request is counted and timed (`infrastructure.metrics`).
"""

from __future__ import annotations

import asyncio
import inspect
import time
import uuid
from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from fastapi import APIRouter, Body, Depends, Header, Path, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from temporalio.service import RPCError, RPCStatusCode

from application.access import Principal, may_see, may_send
from application.command_handler import ID_REUSED
from domain.commands import ID_PATTERN, OpenTrajectory, TrajectoryId
from infrastructure.logging import get_logger
from infrastructure.metrics import COMMAND_SECONDS, COMMANDS
from infrastructure.retry import is_outage
from interfaces.http.command_models import ENDPOINTS, CommandEndpoint
from interfaces.http.deps import Runtime, Signed
from interfaces.http.problems import (
    MEDIA_TYPE,
    Problem,
    away,
    field_errors,
    invalid,
    not_found,
    outage,
    unavailable,
)
from projections.overview import get_trajectory
from workflows.client import CommandInputRejected
from workflows.contracts import RecordedChange, Verdict

if TYPE_CHECKING:
    from bootstrap import App

T = TypeVar("T")
log = get_logger(__name__)

IDEMPOTENCY_KEY = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
KEY_MAX_LENGTH = 100
INPUT_LOCATIONS = ("body", "header", "path", "query")
"""Where FastAPI says a bad value was; the field is named without it (`employees`, `Idempotency-Key`)."""

ANSWERS = {
    200: "accepted",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    409: "refused",
    413: "invalid",
    415: "invalid",
    422: "invalid",
    503: "unavailable",
}
"""The `answer` label of `cbct_commands_total` by status (a replayed 200 is `duplicate`)."""


class CommandAccepted(BaseModel):
    """Het commando is verwerkt: de gebeurtenissen die het vastlegde, en de versie van het traject daarna."""

    model_config = ConfigDict(frozen=True)

    command_id: str = Field(description="Het commando-id (de Idempotency-Key).")
    trajectory_id: str
    accepted: bool = Field(default=True, description="Altijd true: een weigering is een 409.")
    stream_version: int | None = Field(default=None, description="Versie van het traject na dit commando.")
    events: tuple[RecordedChange, ...] = Field(default=(), description="De vastgelegde gebeurtenissen.")

    @classmethod
    def of(cls, verdict: Verdict) -> CommandAccepted:
        return cls(
            command_id=verdict.command_id,
            trajectory_id=verdict.trajectory_id,
            stream_version=verdict.stream_version,
            events=verdict.events,
        )


class ProblemDocument(BaseModel):
    """Een foutantwoord (RFC 9457)."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    rule: str | None = Field(default=None, description="Bij 409: de regel van CBCT die weigerde.")
    errors: list[dict[str, str]] | None = Field(default=None, description="Bij 422: veld, regel en melding.")


def _problem_response(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {MEDIA_TYPE: {"schema": ProblemDocument.model_json_schema()}},
    }
    if headers:
        response["headers"] = headers
    return response


RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Verwerkt: de vastgelegde gebeurtenissen. Een herhaald verzoek krijgt hetzelfde antwoord.",
        "headers": {
            REPLAYED: {
                "description": "`true` als dit het antwoord is op een eerder verwerkt verzoek met dezelfde sleutel.",
                "schema": {"type": "string", "enum": ["true"]},
            }
        },
    },
    401: _problem_response("Niet aangemeld."),
    403: _problem_response("Uw rol mag dit commando niet sturen."),
    404: _problem_response("Onbekend traject, of niet het uwe."),
    409: _problem_response("Geweigerd door een regel van CBCT: `rule` en de uitleg in `detail`."),
    413: _problem_response("Het verzoek is te groot."),
    422: _problem_response("Ongeldige invoer: elk veld met de regel die het breekt (`errors`)."),
    503: _problem_response(
        "De engine of de database is even weg: stuur hetzelfde verzoek met dezelfde Idempotency-Key opnieuw.",
        {"Retry-After": {"description": "Seconden tot een nieuwe poging zinvol is.", "schema": {"type": "integer"}}},
    ),
}

KEY_DESCRIPTION = (
    "Het commando-id: 1-100 tekens (letters, cijfers en _ . : @ -, beginnend met een letter of cijfer). "
    "Stuur er altijd een mee: hetzelfde verzoek met dezelfde sleutel wordt één keer verwerkt en krijgt "
    "hetzelfde antwoord (met `Idempotent-Replayed: true`); dezelfde sleutel met een ander verzoek geeft 422. "
    "Zonder sleutel krijgt het commando een nieuw id en is opnieuw sturen een nieuw commando."
)


def _input_errors(errors: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """FastAPI's validation errors, each field named once (the path is validated by the authorization
    too), a body that is no JSON as `(body)`."""
    cleaned: list[Mapping[str, Any]] = []
    for error in errors:
        if error.get("type") == "json_invalid":
            reason = (error.get("ctx") or {}).get("error", "")
            error = {**error, "loc": ("body",), "msg": f"geen geldige JSON: {reason}".rstrip(": ")}
        cleaned.append(error)
    unique: list[dict[str, str]] = []
    for named in field_errors(cleaned, skip=INPUT_LOCATIONS):
        if named not in unique:
            unique.append(named)
    return unique


class NoAnswer(TimeoutError):
    """No answer within `command_wait_seconds` (the submission is abandoned; a retry finds it)."""


NO_ANSWER = (
    "Er kwam geen antwoord binnen de wachttijd. Stuur hetzelfde verzoek met dezelfde Idempotency-Key opnieuw: "
    "het wordt niet twee keer verwerkt."
)
_OVERLOADED = {RPCStatusCode.RESOURCE_EXHAUSTED, RPCStatusCode.ABORTED}


def outage_problem(error: BaseException) -> Problem | None:
    """The 503 for an engine or database that is away (or too slow to answer); None for other errors.
    The classification is the platform's (`problems.away`), with what only a command meets on top."""
    if isinstance(error, NoAnswer):
        return unavailable(NO_ANSWER, dependency="temporal")
    dependency = away(error)
    if dependency is None:
        if isinstance(error, RPCError) and error.status in _OVERLOADED:
            dependency = "temporal"  # still too busy after the client's own retries
        elif isinstance(error, RuntimeError) and "Temporal is not connected" in str(error):
            dependency = "temporal"
        elif is_outage(error):
            dependency = "database"
        else:
            return None
    log.warning("command_dependency_away", dependency=dependency, error=f"{type(error).__name__}: {error}"[:300])
    return outage(dependency)


async def answer_within(seconds: float, work: Coroutine[Any, Any, T]) -> T:
    """`work`'s result, or `NoAnswer` after `seconds`. Work held up in the SDK by an engine that is
    away is abandoned (cancelled, not awaited: the SDK may take long to notice), as the CLI does."""
    task = asyncio.ensure_future(work)
    try:
        done, _ = await asyncio.wait({task}, timeout=seconds)
    except asyncio.CancelledError:  # the client went away
        task.cancel()
        raise
    if not done:
        task.cancel()
        task.add_done_callback(_retrieve)
        raise NoAnswer(f"no answer within {seconds} s")
    return task.result()


def _retrieve(task: asyncio.Future[Any]) -> None:
    """Collect an abandoned task's outcome (so asyncio does not report it as never retrieved)."""
    if not task.cancelled():
        task.exception()


class CommandRoute(APIRoute):
    """A command endpoint: bounded in time, every request counted and timed, its failures as problems."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()
        command = self.name

        async def counted(request: Request) -> Response:
            started = time.perf_counter()
            answer = "error"
            try:
                response = await answer_within(_runtime(request).settings.command_wait_seconds, handle(request))
                replayed = response.headers.get(REPLAYED) == "true"
                answer = "duplicate" if replayed else ANSWERS.get(response.status_code, "error")
                return response
            except RequestValidationError as error:
                answer = "invalid"
                raise invalid(_input_errors(error.errors())) from None
            except Problem as problem:
                answer = ANSWERS.get(problem.status, "error")
                raise
            except Exception as error:
                away = outage_problem(error)
                if away is None:
                    raise
                answer = "unavailable"
                raise away from None
            finally:
                COMMANDS.labels(command, answer).inc()
                COMMAND_SECONDS.labels(command).observe(time.perf_counter() - started)

        return counted


def _runtime(request: Request) -> App:
    app: App = request.app.state.cbct
    return app


router = APIRouter(route_class=CommandRoute, tags=["Commando's"])


async def _visible(app: App, principal: Principal, trajectory_id: str) -> bool | None:
    """Whether `principal` may know the trajectory; None when it does not exist."""
    row = await get_trajectory(app.pool, trajectory_id)
    if row is not None and may_see(
        principal,
        certificate_number=row.certificate_number,
        expert_auditor=row.expert_auditor,
        peer_auditor=row.peer_auditor,
    ):
        return True
    state = await app.service.state(trajectory_id)  # the store: the read model may lag (or be rebuilt)
    if state is None:
        return None
    return may_see(
        principal,
        certificate_number=state.certificate_number,
        expert_auditor=state.round.expert_auditor,
        peer_auditor=state.round.peer_auditor,
    )


def _authorize(endpoint: CommandEndpoint) -> Any:
    """Dependency: 404 for a trajectory the principal may not know, then 403 for a command its role
    may not send. Runs before the body is validated: an outsider learns nothing from the input rules."""

    async def authorized(
        trajectory_id: Annotated[TrajectoryId, Path(description="Het traject.")],
        principal: Signed,
        app: Runtime,
    ) -> Principal:
        visible = await _visible(app, principal, trajectory_id)
        if visible is False or (visible is None and endpoint.command is not OpenTrajectory):
            raise not_found()
        if not may_send(principal, endpoint.name):
            raise Problem(403, "Uw rol mag dit commando niet sturen.")
        return principal

    return Depends(authorized)


def _key_rejected(command_id: str) -> Problem:
    errors = [
        {
            "field": IDEMPOTENCY_KEY,
            "rule": ID_REUSED,
            "message": "deze sleutel is al gebruikt voor een ander verzoek op dit traject",
        }
    ]
    return invalid(
        errors,
        f"{IDEMPOTENCY_KEY}: {command_id} is al gebruikt voor een ander verzoek op dit traject; "
        "herhaal precies hetzelfde verzoek of gebruik een nieuwe sleutel.",
    )


def _input_rejected(error: CommandInputRejected) -> Problem:
    text = str(error)
    field, _, message = text.partition(": ")
    if not message or not field.replace("_", "").replace(".", "").isalnum():
        field, message = "(body)", text
    return invalid([{"field": field, "rule": "command_rejected", "message": message}])


def _handler(endpoint: CommandEndpoint) -> Callable[..., Coroutine[Any, Any, CommandAccepted]]:
    async def handler(
        trajectory_id: str,
        response: Response,
        app: Any,
        principal: Principal,
        body: BaseModel | None = None,
        idempotency_key: str | None = None,
    ) -> CommandAccepted:
        command_id = idempotency_key or f"http-{uuid.uuid4()}"
        try:
            command = endpoint.command_of(
                body, trajectory_id=trajectory_id, command_id=command_id, actor=principal.actor
            )
        except ValidationError as error:
            raise invalid(field_errors(error.errors())) from None
        try:
            verdict: Verdict = await app.temporal.trajectories.submit(command)
        except CommandInputRejected as error:
            raise _input_rejected(error) from None
        if verdict.accepted:
            if verdict.duplicate:
                response.headers[REPLAYED] = "true"
            return CommandAccepted.of(verdict)
        if verdict.rule == ID_REUSED:
            raise _key_rejected(command_id)
        raise Problem(
            409,
            verdict.message or "Geweigerd.",
            rule=verdict.rule,
            command_id=verdict.command_id,
            trajectory_id=verdict.trajectory_id,
        )

    example = Body(openapi_examples={"voorbeeld": {"summary": "Voorbeeld", "value": endpoint.example}})
    body_param: Any = Annotated[endpoint.body if endpoint.body_required else endpoint.body | None, example]
    parameters = [
        inspect.Parameter(
            "trajectory_id",
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
            annotation=Annotated[TrajectoryId, Path(description="Het traject.", examples=["T-2026-001"])],
        ),
        inspect.Parameter("response", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Response),
        inspect.Parameter("app", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Runtime),
        inspect.Parameter(
            "principal",
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
            annotation=Annotated[Principal, _authorize(endpoint)],
        ),
        inspect.Parameter(
            "body",
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
            annotation=body_param,
            **({} if endpoint.body_required else {"default": None}),
        ),
        inspect.Parameter(
            "idempotency_key",
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
            default=None,
            annotation=Annotated[
                str | None,
                Header(
                    alias=IDEMPOTENCY_KEY,
                    min_length=1,
                    max_length=KEY_MAX_LENGTH,
                    pattern=ID_PATTERN,
                    description=KEY_DESCRIPTION,
                ),
            ],
        ),
    ]
    handler.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    handler.__name__ = endpoint.name
    return handler


def _description(endpoint: CommandEndpoint) -> str:
    return (
        f"{endpoint.summary}\n\nHetzelfde als `cbct {endpoint.noun} {endpoint.verb}`. Commando `{endpoint.name}`; "
        f"de actor is de aangemelde gebruiker. Stuur een `{IDEMPOTENCY_KEY}` mee, dan is opnieuw sturen veilig."
    )


for _endpoint in ENDPOINTS:
    router.add_api_route(
        _endpoint.path,
        _handler(_endpoint),
        methods=["POST"],
        name=_endpoint.name,
        operation_id=_endpoint.name,
        summary=_endpoint.summary,
        description=_description(_endpoint),
        response_model=CommandAccepted,
        responses=RESPONSES,
    )
