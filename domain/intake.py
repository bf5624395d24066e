"""The intake: the auditee's size sets the audit category; its services set the modules in scope. Its
contact persons can be named anew at any time while the trajectory runs (`ChangeContacts`).

Module 1 (Educatieve dienstverlening) applies to public libraries offering Bibliotheek op school or
BoekStart; a library with an IDO answers the IDO indicator under norm 4. Service names are matched
case-insensitively against the framework's lists.
"""

from __future__ import annotations

from collections.abc import Iterable

from domain import commands
from domain import events as ev
from domain.commands import ChangeContacts, RecordIntake
from domain.concept import Cli, CommandPart, Concept, EventPart, Field
from domain.dutch import opsomming
from domain.events import ContactsChanged, Event, IntakeRecorded
from domain.evolve import changed, round_with
from domain.guards import Context, require_open, require_phase
from domain.rules import Rules
from domain.state import (
    Intake,
    TrajectoryState,
)
from domain.vocabulary import (
    Association,
    Phase,
)


def _offers(services: Iterable[str], names: Iterable[str]) -> bool:
    wanted = {name.casefold() for name in names}
    return any(service.casefold() in wanted for service in services)


def modules_in_scope(association: Association, services: Iterable[str], rules: Rules) -> tuple[str, ...]:
    """The optional modules this auditee is audited on."""
    services = tuple(services)
    return tuple(
        module.id
        for module in rules.modules
        if association in module.associations and _offers(services, module.trigger_services)
    )


def has_ido(association: Association, services: Iterable[str], rules: Rules) -> bool:
    """Whether the auditee is a library with an Informatiepunt Digitale Overheid."""
    return association.is_library and _offers(services, rules.ido_services)


def record_intake(state: TrajectoryState, cmd: RecordIntake, ctx: Context) -> list[Event]:
    """Record the intake and classify the auditee."""
    require_phase(state, cmd, Phase.ANNOUNCED)
    rules = ctx.rules
    category = rules.category_for(cmd.employees, len(cmd.locations), len(cmd.services))
    modules = modules_in_scope(state.association, cmd.services, rules)
    return [
        IntakeRecorded(
            **ctx.stamp(state),
            received_on=ctx.today,
            contacts=cmd.contacts,
            locations=cmd.locations,
            employees=cmd.employees,
            services=cmd.services,
            category=category.id,
            dagdelen=category.dagdelen,
            auditor_hours=category.auditor_hours,
            modules=modules,
            ido=has_ido(state.association, cmd.services, rules),
            scope=(*rules.base_norm_ids, *modules),
        )
    ]


def change_contacts(state: TrajectoryState, cmd: ChangeContacts, ctx: Context) -> list[Event]:
    """Name the contact persons anew, in any phase of an open trajectory."""
    require_open(state, cmd)
    return [ContactsChanged(**ctx.stamp(state), changed_on=ctx.today, contacts=cmd.contacts)]


# --- what this concept declares: its commands' CLI steps, its events' evolve steps and summaries ---


def _evolve_intake_recorded(s: TrajectoryState, e: ev.IntakeRecorded) -> TrajectoryState:
    intake = Intake(
        category=e.category,
        dagdelen=e.dagdelen,
        auditor_hours=e.auditor_hours,
        modules=e.modules,
        ido=e.ido,
        scope=e.scope,
    )
    return changed(
        s, intake=intake, phase=Phase.PLANNING, phase_since=e.received_on, round=round_with(s, scope=e.scope)
    )


def _evolve_contacts_changed(s: TrajectoryState, e: ev.ContactsChanged) -> TrajectoryState:
    return s  # the contacts are not part of the rules' state: the read models and the e-mails follow them


def _summary_contacts_changed(e: ev.ContactsChanged) -> str:
    return f"Contactpersonen gewijzigd: {opsomming([f'{c.name} ({c.email})' for c in e.contacts])}"


def _summary_intake_recorded(e: ev.IntakeRecorded) -> str:
    extras = [f"module {m}" for m in e.modules] + (["IDO"] if e.ido else [])
    more = f", met {opsomming(extras)}" if extras else ""
    places = "vestiging" if len(e.locations) == 1 else "vestigingen"
    return f"Intake ontvangen: categorie {e.category}, {e.dagdelen} dagdelen, {len(e.locations)} {places}{more}"


CONCEPT = Concept(
    name="intake",
    commands=(
        CommandPart(
            commands.RecordIntake,
            record_intake,
            Cli("intake", "record", "Leg de intake vast: contactpersonen, locaties, medewerkers, diensten."),
        ),
        CommandPart(
            commands.ChangeContacts,
            change_contacts,
            Cli("contacts", "change", "Wijzig de contactpersonen; e-mails gaan voortaan naar de eerste."),
        ),
    ),
    events=(
        EventPart(ev.IntakeRecorded, _evolve_intake_recorded, _summary_intake_recorded),
        EventPart(ev.ContactsChanged, _evolve_contacts_changed, _summary_contacts_changed),
    ),
    fields={
        "contacts": Field(
            'Contactpersoon als JSON, bv. {"name": "An de Vries", "email": "an@bieb.nl", "role": "directeur"}.',
            [{"name": "An de Vries", "email": "an@bibliotheekhengelo.example", "role": "directeur"}],
        ),
        "locations": Field("Vestiging (herhaalbaar).", ["Hoofdvestiging"]),
        "employees": Field("Aantal medewerkers.", 40),
        "services": Field("Dienst, bv. 'Bibliotheek op school', 'BoekStart', 'IDO' (herhaalbaar).", ["BoekStart"]),
    },
)
