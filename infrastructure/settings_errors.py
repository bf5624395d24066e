"""An invalid `CBCT_*` setting as one Dutch line: the setting, the rule, and never a secret.

Every entry point (the CLI, `python -m worker`, the demo's share processes) builds its `Settings` through
`load_settings`; a wrong value then reads `Ongeldige instelling CBCT_STUCK_GRACE_DAYS: moet een geheel
getal zijn`, not pydantic's traceback, whose locals and `input_value` held the API key and the
database password in clear. Only each error's location and rule are used (pydantic also hands over the
input); `mask` then takes out any password in a URL and the value of every secret setting, so that
nothing slips through a validator's own message either.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NoReturn

from pydantic import SecretStr, ValidationError
from pydantic_settings import SettingsError

from infrastructure.settings import Settings

ENV_PREFIX = "CBCT_"
EXIT_USAGE = 2
MASK = "****"
_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^/\s:@]*:)(?P<password>[^@\s/]*)(?P<at>@)")
_SHORTEST_MASKED = 4
"""Shorter values are not hunted for in a message (a password of 'a' would mask every 'a')."""


class InvalidSettings(ValueError):
    """The process's settings break a rule; the message is one masked Dutch line naming the setting."""


def secret_fields() -> list[str]:
    """The settings whose value is a secret: every `SecretStr`, and the database URL (its password)."""
    hidden = [name for name, field in Settings.model_fields.items() if _holds_secret(field.annotation)]
    return sorted({*hidden, "database_url"})


def _holds_secret(annotation: Any) -> bool:
    return annotation is SecretStr or SecretStr in getattr(annotation, "__args__", ())


def env_name(field: str) -> str:
    return f"{ENV_PREFIX}{field.upper()}"


def secret_values(environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env")) -> list[str]:
    """The values of the secret settings as this process was given them (environment and `.env`): for a
    URL its password, for any other its whole value."""
    sources: list[Mapping[str, str | None]] = [os.environ if environ is None else environ]
    if env_file is not None and env_file.is_file():
        try:
            from dotenv import dotenv_values

            sources.append(dotenv_values(env_file))
        except (OSError, UnicodeDecodeError, ImportError):
            pass
    wanted = {env_name(f).casefold() for f in secret_fields()}
    found: list[str] = []
    for source in sources:
        for key, value in source.items():
            if value and key.casefold() in wanted:
                found.append(value)
                found.extend(m.group("password") for m in _URL_PASSWORD.finditer(value))
    return sorted({v for v in found if len(v) >= _SHORTEST_MASKED}, key=len, reverse=True)


def mask(text: str, secrets: Iterable[str] | None = None) -> str:
    """`text` with every URL password and every secret setting's value replaced by ****."""
    masked = _URL_PASSWORD.sub(lambda m: f"{m.group('head')}{MASK if m.group('password') else ''}{m.group('at')}", text)
    for secret in secret_values() if secrets is None else secrets:
        masked = masked.replace(secret, MASK)
    return masked


_RULES = {
    "int_parsing": "moet een geheel getal zijn",
    "int_type": "moet een geheel getal zijn",
    "int_from_float": "moet een geheel getal zijn",
    "float_parsing": "moet een getal zijn",
    "float_type": "moet een getal zijn",
    "finite_number": "moet een eindig getal zijn",
    "bool_parsing": "moet true of false zijn",
    "string_type": "moet tekst zijn",
    "path_type": "moet een pad zijn",
    "missing": "ontbreekt",
}


def rule_of(error: Mapping[str, Any]) -> str:
    """The rule an error names, in Dutch where pydantic's kind is known; its own words otherwise.
    Never the input (`error['input']`), which may be a secret."""
    kind, ctx = error.get("type", ""), error.get("ctx") or {}
    if kind in _RULES:
        return _RULES[kind]
    bounds = {
        "greater_than_equal": ("minstens", "ge"),
        "greater_than": ("groter dan", "gt"),
        "less_than_equal": ("hoogstens", "le"),
        "less_than": ("kleiner dan", "lt"),
    }
    if kind in bounds and bounds[kind][1] in ctx:
        word, key = bounds[kind]
        bound = ctx[key]
        shown = int(bound) if isinstance(bound, float) and bound.is_integer() else bound
        return f"moet {word} {str(shown).replace('.', ',')} zijn"
    if kind == "literal_error" and "expected" in ctx:
        return f"moet een van {str(ctx['expected']).replace(' or ', ' of ')} zijn"
    if kind == "string_too_short" and "min_length" in ctx:
        return f"moet minstens {ctx['min_length']} teken(s) lang zijn"
    if kind == "string_too_long" and "max_length" in ctx:
        return f"mag hoogstens {ctx['max_length']} tekens lang zijn"
    message = str(error.get("msg", "ongeldig"))
    return message.removeprefix("Value error, ").removeprefix("Assertion failed, ")


def describe(error: ValidationError, secrets: Iterable[str] | None = None) -> str:
    """One line for a settings error: each setting by its environment name, with its rule; masked."""
    parts = []
    for item in error.errors(include_input=False, include_url=False):
        loc = [str(p) for p in item.get("loc", ())]
        where = env_name(loc[0]) + "".join(f".{p}" for p in loc[1:]) if loc else ""
        parts.append(f"{where}: {rule_of(item)}" if where else rule_of(item))
    line = "Ongeldige instelling " + "; ".join(parts)
    return mask(" ".join(line.split()), secrets)


def load_settings(**overrides: Any) -> Settings:
    """`Settings()`, or InvalidSettings with the one masked line."""
    try:
        return Settings(**overrides)
    except ValidationError as error:
        raise InvalidSettings(describe(error)) from None
    except SettingsError as error:  # a value pydantic-settings could not even parse (or read)
        raise InvalidSettings(mask(f"Ongeldige instelling: {' '.join(str(error).split())}")) from None


def settings_or_exit(**overrides: Any) -> Settings:
    """For a process's entry point: the settings, or the one line on stderr and exit code 2."""
    try:
        return load_settings(**overrides)
    except InvalidSettings as error:
        exit_usage(str(error))


def exit_usage(line: str) -> NoReturn:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()
    raise SystemExit(EXIT_USAGE)
