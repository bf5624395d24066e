"""The command activity reads a stream again for its e-mails only when an event of the command can
cause one; this checks that shortcut never skips an e-mail the messages would compose."""

from __future__ import annotations

from application.demo import DEFAULT_SEED, REFERENCE_MOMENT
from application.demo.replay import plan
from application.demo.simulate import run_simulation
from domain import event_type
from projections.message_texts import MessageContext, compose, evolve_context, may_cause_email


def test_only_events_that_may_cause_an_email_compose_one_over_the_whole_simulated_register() -> None:
    simulation = run_simulation(plan(seed=DEFAULT_SEED), REFERENCE_MOMENT)
    composing: set[str] = set()
    for events in simulation.events.values():
        ctx: MessageContext | None = None
        for event in events:
            ctx = evolve_context(ctx, event)
            if ctx is not None and compose(event, ctx) is not None:
                composing.add(event_type(event))
    assert composing, "the simulated register sends e-mails"
    assert all(may_cause_email(t) for t in composing)
    assert may_cause_email("AnnouncementSent") and not may_cause_email("ConflictOfInterestDeclared")
