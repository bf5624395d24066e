"""`cbct users ...` and `cbct tokens ...`: accounts, roles and API tokens, from the shell.

Each change is an event on the account's stream (actor: `$CBCT_ACTOR` or `cli:<os user>`), seen by a
running `cbct serve` from its next request on. A password or token is printed once, when it is made,
and never stored in clear; `--password-stdin` reads a chosen password from standard input instead.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo

import typer

from application.access import Role
from application.account_service import AccountService, NotFound
from application.accounts import Account, AccountRuleError
from interfaces.cli.lifecycle import default_actor
from interfaces.cli.output import (
    EXIT_REJECTED,
    EXIT_USAGE,
    OutputFormat,
    console,
    err_console,
    fail,
    print_json,
    print_table,
)
from interfaces.cli.safe_text import markup_safe
from interfaces.cli.session import run

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
T = TypeVar("T")

users_app = typer.Typer(help="Accounts: toevoegen, tonen, uitschakelen, rol wijzigen.", no_args_is_help=True)
tokens_app = typer.Typer(help="API-tokens voor scripts: maken en intrekken.", no_args_is_help=True)

FormatOption = Annotated[OutputFormat, typer.Option("--format", "-f", help="table of json")]
ROLES = ", ".join(r.value for r in Role)


def _with_accounts(work: Callable[[AccountService], Awaitable[T]]) -> T:
    """Run `work` on the accounts of the configured database; a broken rule ends the command (exit 1)."""
    from interfaces.http.auth import account_service

    async def main(app: Any) -> T:
        return await work(account_service(app))

    try:
        return run(main)
    except AccountRuleError as error:
        fail(error.message)
        raise typer.Exit(EXIT_REJECTED) from None


def _local(moment: datetime | None) -> str:
    return "-" if moment is None else moment.astimezone(AMSTERDAM).strftime("%d-%m-%Y %H:%M")


def _row(account: Account) -> dict[str, Any]:
    return {
        "account_id": account.account_id,
        "role": account.role.value,
        "display_name": account.display_name,
        "organisation": account.organisation,
        "email": account.email,
        "disabled": account.disabled,
        "created_at": account.created_at.isoformat(),
    }


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="Gebruikersnaam: a-z, 0-9 en . _ @ -.")],
    role: Annotated[str, typer.Option("--role", help=f"Rol: {ROLES}.")],
    display_name: Annotated[
        str | None,
        typer.Option("--display-name", help="Weergavenaam; van een auditor precies zoals de trajecten hem noemen."),
    ] = None,
    organisation: Annotated[
        str | None, typer.Option("--organisation", help="Certificaatnummer van de organisatie (alleen auditee).")
    ] = None,
    email: Annotated[str | None, typer.Option("--email", help="E-mailadres (optioneel).")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Lees het wachtwoord van standaardinvoer (anders: gemaakt).")
    ] = False,
) -> None:
    """Maak een account. Zonder --password-stdin wordt een sterk wachtwoord gemaakt en eenmaal getoond."""
    password = _read_password() if password_stdin else None
    actor = default_actor()

    async def work(accounts: AccountService) -> tuple[Account, str | None]:
        return await accounts.add_user(
            name,
            role,
            actor=actor,
            display_name=display_name,
            organisation=organisation,
            email=email,
            password=password,
        )

    async def work_and_check(accounts: AccountService) -> tuple[Account, str | None, bool]:
        account, generated = await work(accounts)
        named = account.role is not Role.AUDITOR or await accounts.directory.auditor_named(account.display_name)
        return account, generated, named

    account, generated, named = _with_accounts(work_and_check)
    scope = f" van organisatie {account.organisation}" if account.organisation else ""
    console.print(
        markup_safe(f"Account {account.account_id} gemaakt: {account.role.value}{scope} ({account.display_name})."),
        soft_wrap=True,
    )
    if generated is not None:
        console.print(markup_safe(f"Wachtwoord (alleen nu getoond): {generated}"), soft_wrap=True)
    if not named:
        _warn_unnamed(account.display_name)


def _warn_unnamed(display_name: str) -> None:
    err_console.print(
        markup_safe(
            f"Let op: nog geen traject noemt een auditor '{display_name}'. Een auditor ziet de trajecten waarin "
            "zijn weergavenaam precies zo als expert- of peer-auditor staat (--display-name)."
        ),
        style="yellow",
        soft_wrap=True,
    )


def _read_password() -> str:
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        fail("--password-stdin: er kwam geen wachtwoord binnen op standaardinvoer")
        raise typer.Exit(EXIT_USAGE)
    return password


@users_app.command("password")
def users_password(
    name: Annotated[str, typer.Argument(help="Gebruikersnaam.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Lees het wachtwoord van standaardinvoer (anders: gemaakt).")
    ] = False,
) -> None:
    """Zet een nieuw wachtwoord (gemaakt en eenmaal getoond, of van standaardinvoer); lopende sessies eindigen."""
    from application.account_service import generated_password

    password = _read_password() if password_stdin else generated_password()
    actor = default_actor()

    async def work(accounts: AccountService) -> Account:
        return await accounts.set_password(name.strip().lower(), password, actor=actor)

    account = _with_accounts(work)
    console.print(markup_safe(f"Nieuw wachtwoord gezet voor {account.account_id}; zijn sessies zijn beëindigd."))
    if not password_stdin:
        console.print(markup_safe(f"Wachtwoord (alleen nu getoond): {password}"), soft_wrap=True)


@users_app.command("list")
def users_list(output: FormatOption = OutputFormat.table) -> None:
    """Alle accounts: rol, weergavenaam, organisatie, uitgeschakeld."""

    async def work(accounts: AccountService) -> list[Account]:
        return await accounts.directory.accounts()

    rows = [_row(a) for a in _with_accounts(work)]
    if output is OutputFormat.json:
        print_json(rows)
        return
    print_table(
        "Accounts",
        ["gebruikersnaam", "rol", "weergavenaam", "organisatie", "status", "sinds"],
        [
            (
                r["account_id"],
                r["role"],
                r["display_name"],
                r["organisation"] or "-",
                "uitgeschakeld" if r["disabled"] else "actief",
                _local(datetime.fromisoformat(r["created_at"])),
            )
            for r in rows
        ],
    )


def _set_disabled(name: str, disabled: bool) -> None:
    actor = default_actor()

    async def work(accounts: AccountService) -> Account:
        return await accounts.set_disabled(name.strip().lower(), disabled, actor=actor)

    account = _with_accounts(work)
    state = "uitgeschakeld: aanmelden, sessies en tokens werken niet meer" if disabled else "weer actief"
    console.print(markup_safe(f"Account {account.account_id} is {state}."), soft_wrap=True)


@users_app.command("disable")
def users_disable(name: Annotated[str, typer.Argument(help="Gebruikersnaam.")]) -> None:
    """Schakel een account uit; het volgende verzoek van die gebruiker wordt al geweigerd."""
    _set_disabled(name, True)


@users_app.command("enable")
def users_enable(name: Annotated[str, typer.Argument(help="Gebruikersnaam.")]) -> None:
    """Schakel een uitgeschakeld account weer in."""
    _set_disabled(name, False)


@users_app.command("role")
def users_role(
    name: Annotated[str, typer.Argument(help="Gebruikersnaam.")],
    role: Annotated[str, typer.Argument(help=f"Nieuwe rol: {ROLES}.")],
    organisation: Annotated[
        str | None, typer.Option("--organisation", help="Certificaatnummer (nodig voor de rol auditee).")
    ] = None,
) -> None:
    """Geef een account een andere rol (vastgelegd als gebeurtenis)."""
    actor = default_actor()

    async def work(accounts: AccountService) -> Account:
        return await accounts.change_role(name.strip().lower(), role, actor=actor, organisation=organisation)

    account = _with_accounts(work)
    scope = f" van organisatie {account.organisation}" if account.organisation else ""
    console.print(markup_safe(f"Account {account.account_id} heeft nu de rol {account.role.value}{scope}."))


@tokens_app.command("create")
def tokens_create(
    name: Annotated[str, typer.Argument(help="Gebruikersnaam van wie het token is.")],
    label: Annotated[str, typer.Option("--label", help="Waarvoor het token is.")] = "API-token",
) -> None:
    """Maak een API-token; het wordt eenmaal getoond (bewaar het veilig), daarna alleen nog het id."""
    actor = default_actor()

    async def work(accounts: AccountService) -> tuple[str, str]:
        return await accounts.create_token(name.strip().lower(), label, actor=actor)

    token_id, token = _with_accounts(work)
    console.print(markup_safe(f"Token {token_id} gemaakt voor {name.strip().lower()}."), soft_wrap=True)
    console.print(markup_safe(f"Token (alleen nu getoond): {token}"), soft_wrap=True)


@tokens_app.command("list")
def tokens_list(
    name: Annotated[str | None, typer.Argument(help="Alleen de tokens van deze gebruiker.")] = None,
    output: FormatOption = OutputFormat.table,
) -> None:
    """API-tokens: id, van wie, label, gemaakt, ingetrokken (nooit het token zelf)."""

    async def work(accounts: AccountService) -> list[Any]:
        return list(await accounts.directory.tokens(name.strip().lower() if name else None))

    rows = [
        {
            "token_id": t.token_id,
            "account_id": t.account_id,
            "label": t.label,
            "created_at": t.created_at.isoformat(),
            "revoked_at": None if t.revoked_at is None else t.revoked_at.isoformat(),
        }
        for t in _with_accounts(work)
    ]
    if output is OutputFormat.json:
        print_json(rows)
        return
    print_table(
        "API-tokens",
        ["id", "gebruiker", "label", "gemaakt", "ingetrokken"],
        [
            (
                r["token_id"],
                r["account_id"],
                r["label"],
                _local(datetime.fromisoformat(r["created_at"])),
                _local(datetime.fromisoformat(r["revoked_at"])) if r["revoked_at"] else "-",
            )
            for r in rows
        ],
    )


@tokens_app.command("revoke")
def tokens_revoke(token_id: Annotated[str, typer.Argument(help="Id van het token (tok-...).")]) -> None:
    """Trek een API-token in; het werkt vanaf het volgende verzoek niet meer."""
    actor = default_actor()

    async def work(accounts: AccountService) -> str:
        try:
            token = await accounts.revoke_token(token_id, actor=actor)
        except NotFound:
            return ""
        return token.account_id

    owner = _with_accounts(work)
    if not owner:
        fail(f"Geen token met id {token_id}.")
        raise typer.Exit(EXIT_REJECTED)
    console.print(markup_safe(f"Token {token_id.strip()} van {owner} is ingetrokken."))
