"""Who holds a certificate number and which certificate runs under it, read across trajectories.

A certificate number belongs to one organisation, and the next cycle renews the certificate that
runs now. Both are facts about *other* trajectories, so the application reads them from the store
when a trajectory is opened (``certificate_facts`` over the folded states of every trajectory that
used the number) and passes them into ``decide``; the rules that judge them stay pure.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from pydantic import BaseModel, ConfigDict

from domain.commands import OpenTrajectory
from domain.errors import CertificateMismatch, CertificateNumberTaken
from domain.state import TrajectoryState


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RunningCertificate(_Frozen):
    """The newest certificate issued under a number: the next cycle's anchor."""

    number: str
    organisation: str
    issued_on: date
    valid_until: date
    trajectory_id: str


class CertificateFacts(_Frozen):
    """What the store knows about one certificate number, from every other trajectory that used it."""

    number: str
    holder: str | None = None
    holder_trajectory: str | None = None
    certificate: RunningCertificate | None = None

    @classmethod
    def unknown(cls, number: str) -> CertificateFacts:
        """A number the store has never seen (a certificate from before the system, or a new one)."""
        return cls(number=number)


def certificate_facts(number: str, states: Iterable[TrajectoryState]) -> CertificateFacts:
    """Fold the trajectories that used ``number`` into the facts an opening is judged by.

    The holder is the organisation of the newest trajectory (by opening date, then id); the running
    certificate the newest one issued.
    """
    mine = sorted((s for s in states if s.certificate_number == number), key=lambda s: (s.opened_on, s.trajectory_id))
    if not mine:
        return CertificateFacts.unknown(number)
    newest = mine[-1]
    issued = [(s.certificate, s) for s in mine if s.certificate is not None]
    running = None
    if issued:
        certificate, by = max(issued, key=lambda pair: (pair[0].issued_on, pair[1].trajectory_id))
        running = RunningCertificate(
            number=number,
            organisation=by.organisation,
            issued_on=certificate.issued_on,
            valid_until=certificate.valid_until,
            trajectory_id=by.trajectory_id,
        )
    return CertificateFacts(
        number=number,
        holder=newest.organisation,
        holder_trajectory=newest.trajectory_id,
        certificate=running,
    )


def same_organisation(a: str, b: str) -> bool:
    """Names as people type them: case and spacing do not make another organisation."""
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def previous_expiry(cmd: OpenTrajectory, facts: CertificateFacts, today: date) -> date | None:
    """The running certificate's gecertificeerd tot, taken from the store; or refuse the opening.

    Refused: a number another organisation holds (naming the holder) and a typed end date that
    disagrees with the store (both dates named). A certificate that already ended is not renewed
    automatically: the next trajectory starts afresh. A number the store does not know keeps the
    typed date (a certificate from before the system).
    """

    if facts.holder is not None and not same_organisation(facts.holder, cmd.organisation):
        raise CertificateNumberTaken(
            f"certificaatnummer {facts.number} hoort bij {facts.holder} (traject {facts.holder_trajectory}), "
            f"niet bij {cmd.organisation}; open het traject onder het eigen certificaatnummer van {cmd.organisation}",
            number=facts.number,
            holder=facts.holder,
            trajectory=facts.holder_trajectory or "",
        )
    running = facts.certificate
    typed = cmd.previous_certificate_expiry
    if running is None:
        return typed
    if typed is not None and typed != running.valid_until:
        raise CertificateMismatch(
            f"certificaat {running.number} van {running.organisation} is geldig tot "
            f"{running.valid_until.isoformat()} (afgegeven op {running.issued_on.isoformat()} in traject "
            f"{running.trajectory_id}), niet tot {typed.isoformat()}; "
            "laat de einddatum weg, die volgt uit het register",
            number=running.number,
            registered=running.valid_until,
            given=typed,
        )
    return running.valid_until if running.valid_until >= today else typed
