"""Whether a trajectory's history still holds together once one of its events is corrected.

A correction (docs/repairing-events.md) replaces one stored event's data for every reader. Each field
is bounded by ``domain.event_bounds``; here the whole corrected stream is judged as the domain judges
history: it must fold under ``evolve`` from its opening to its end, every event must belong to the
trajectory, a certificate issued in it carries the trajectory's own number and organisation, and the
number must not be held by another organisation (the facts the application reads, as for an opening).
Pure: the caller reads the stream and the facts.
"""

from __future__ import annotations

from collections.abc import Sequence

from domain.certificate_holder import CertificateFacts, same_organisation
from domain.errors import DomainError
from domain.events import CertificateIssued, Event
from domain.evolve import evolve
from domain.state import TrajectoryState


class CorrectionRefused(DomainError):
    """The corrected history would break a domain rule; nothing is written."""

    default_rule = "correction"


def fold_corrected(trajectory_id: str, events: Sequence[Event]) -> TrajectoryState:
    """The state the corrected stream folds to, or CorrectionRefused naming the event (by its version)."""
    state: TrajectoryState | None = None
    for version, event in enumerate(events, start=1):
        where = f"event {version} ({type(event).__name__})"
        if event.trajectory_id != trajectory_id:
            raise CorrectionRefused(
                f"{where}: trajectory_id '{event.trajectory_id}' hoort niet bij traject {trajectory_id}",
                rule="correction.trajectory_id",
            )
        try:
            state = evolve(state, event)
        except DomainError as error:
            raise CorrectionRefused(f"{where}: {error.message}", rule="correction.fold") from None
        except Exception as error:  # a handler that cannot take these values: the stream no longer folds
            raise CorrectionRefused(
                f"{where}: de geschiedenis laat zich niet meer samenvoegen ({type(error).__name__}: {error})",
                rule="correction.fold",
            ) from None
        if isinstance(event, CertificateIssued):
            if event.certificate_number != state.certificate_number:
                raise CorrectionRefused(
                    f"{where}: certificate_number {event.certificate_number} is niet het certificaatnummer "
                    f"van het traject ({state.certificate_number})",
                    rule="correction.certificate_number",
                )
            if not same_organisation(event.organisation, state.organisation):
                raise CorrectionRefused(
                    f"{where}: organisation '{event.organisation}' is niet de organisatie van het traject "
                    f"({state.organisation})",
                    rule="correction.organisation",
                )
    if state is None:
        raise CorrectionRefused(f"traject {trajectory_id} heeft geen events", rule="correction.fold")
    return state


def check_holder(state: TrajectoryState, facts: CertificateFacts) -> None:
    """Refuse when another organisation holds the trajectory's certificate number (as an opening would)."""
    if facts.holder is not None and not same_organisation(facts.holder, state.organisation):
        raise CorrectionRefused(
            f"certificate_number: certificaatnummer {facts.number} hoort bij {facts.holder} "
            f"(traject {facts.holder_trajectory}), niet bij {state.organisation}",
            rule="correction.certificate_number_taken",
            number=facts.number,
            holder=facts.holder,
        )
