"""The `cbct` command: the composition root of the CLI process."""

from __future__ import annotations

import os

import typer

from infrastructure.logging import configure_logging
from infrastructure.process_end import end_process
from infrastructure.settings_errors import InvalidSettings, load_settings
from interfaces.cli import accounts, db, emails, events, frameworks, keys, lifecycle, ops, report, views
from interfaces.cli.demo import register_demo
from interfaces.cli.guard import GuardedGroup
from interfaces.cli.output import EXIT_USAGE, fail
from interfaces.cli.scenario import register_scenario
from interfaces.cli.serve import register_serve

app = typer.Typer(
    name="cbct",
    help="CBCT certificeringstrajecten: trajecten, deadlines, register en rapportages.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    cls=GuardedGroup,
)
app.add_typer(db.app, name="db")
app.add_typer(events.app, name="event")
app.add_typer(frameworks.app, name="framework")
app.add_typer(keys.app, name="keys")
app.add_typer(ops.projections_app, name="projections")
app.add_typer(ops.workflows_app, name="workflows")
app.add_typer(accounts.users_app, name="users")
app.add_typer(accounts.tokens_app, name="tokens")
app.add_typer(emails.email_app, name="email")

NOUNS = {
    "trajectory": "Trajecten: openen, aankondigen, deelname intrekken, tonen.",
    "intake": "Intake versturen en vastleggen.",
    "contacts": "Contactpersonen van de auditee wijzigen.",
    "auditor": "Auditoren: relaties (belangenverstrengeling).",
    "audit": "Audit plannen, scores vastleggen, annuleren.",
    "postponement": "Uitstel aanvragen en beslissen.",
    "selfevaluation": "Zelfevaluatie inleveren en de termijn eenmaal verlengen.",
    "report": "Conceptrapport, hoor en wederhoor, en de perioderapportage.",
    "decision": "Certificeringsbesluit.",
    "heraudit": "Heraudit aanvragen.",
    "objection": "Bezwaar indienen en beslissen.",
    "survey": "Tevredenheidsenquête.",
    "certificate": "Certificaat: verlengen.",
}
groups = {noun: typer.Typer(help=text, no_args_is_help=True) for noun, text in NOUNS.items()}
lifecycle.register(groups)
views.register_views(app, groups)
report.register_report(groups)
register_demo(app)
register_scenario(app)
register_serve(app)
for noun, group in groups.items():
    app.add_typer(group, name=noun)


@app.callback()
def _root() -> None:
    try:
        settings = load_settings()
    except InvalidSettings as error:  # one masked line, before anything logs a traceback with its locals
        fail(str(error))
        raise typer.Exit(EXIT_USAGE) from None
    # People read the CLI's own output; its logs stay quiet unless asked for with CBCT_LOG_LEVEL.
    level = settings.log_level if "CBCT_LOG_LEVEL" in os.environ else "warning"
    configure_logging(settings.log_format, level)


def main() -> None:
    """Run the command, then end without the interpreter's finalization (`infrastructure.process_end`)."""
    try:
        app()
    except SystemExit as done:
        end_process(done.code)
    end_process(0)


if __name__ == "__main__":
    main()
