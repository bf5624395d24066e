"""Input errors as people read them: pydantic's validation errors, each with its field, rule and a Dutch message.

Pydantic names the rule (`type`, e.g. `string_too_long`) and gives an English message; the CLI, the API's
problem documents and the web forms show the same Dutch message instead, built from the rule and its
context (`ctx`: the limit, the allowed values). Rules raised by the domain itself (`date_out_of_range`,
`one_line`, ...) already carry a Dutch message and keep it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class InputError:
    """One broken rule: `field` as a dotted path (`contacts.0.email`), `rule` as pydantic's error type."""

    field: str
    rule: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "rule": self.rule, "message": self.message}


def _expected(ctx: Mapping[str, Any]) -> str:
    return str(ctx.get("expected", "")).replace(" or ", " of ")


_MESSAGES: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "missing": lambda c: "is verplicht",
    "extra_forbidden": lambda c: "is onbekend: dit veld bestaat hier niet",
    "string_type": lambda c: "moet tekst zijn",
    "string_too_short": lambda c: (
        "mag niet leeg zijn" if c.get("min_length") == 1 else f"moet minstens {c.get('min_length')} tekens hebben"
    ),
    "string_too_long": lambda c: f"mag hoogstens {c.get('max_length')} tekens hebben",
    "string_pattern_mismatch": lambda c: f"heeft niet de juiste vorm (patroon {c.get('pattern')})",
    "too_short": lambda c: f"moet minstens {c.get('min_length')} element(en) hebben",
    "too_long": lambda c: f"mag hoogstens {c.get('max_length')} elementen hebben",
    "int_type": lambda c: "moet een geheel getal zijn",
    "int_parsing": lambda c: "moet een geheel getal zijn",
    "int_from_float": lambda c: "moet een geheel getal zijn (zonder decimalen)",
    "float_type": lambda c: "moet een getal zijn",
    "float_parsing": lambda c: "moet een getal zijn",
    "decimal_parsing": lambda c: "moet een getal zijn",
    "greater_than": lambda c: f"moet groter zijn dan {c.get('gt')}",
    "greater_than_equal": lambda c: f"moet minstens {c.get('ge')} zijn",
    "less_than": lambda c: f"moet kleiner zijn dan {c.get('lt')}",
    "less_than_equal": lambda c: f"mag hoogstens {c.get('le')} zijn",
    "bool_type": lambda c: "moet ja of nee zijn (true/false)",
    "bool_parsing": lambda c: "moet ja of nee zijn (true/false)",
    "date_type": lambda c: "moet een datum zijn (JJJJ-MM-DD)",
    "date_parsing": lambda c: "moet een datum zijn (JJJJ-MM-DD)",
    "date_from_datetime_parsing": lambda c: "moet een datum zijn (JJJJ-MM-DD)",
    "date_from_datetime_inexact": lambda c: "moet een datum zijn, zonder tijd",
    "datetime_type": lambda c: "moet een tijdstip zijn (JJJJ-MM-DDTUU:MM met tijdzone)",
    "datetime_parsing": lambda c: "moet een tijdstip zijn (JJJJ-MM-DDTUU:MM met tijdzone)",
    "datetime_from_date_parsing": lambda c: "moet een tijdstip zijn (JJJJ-MM-DDTUU:MM met tijdzone)",
    "timezone_aware": lambda c: "moet een tijdzone hebben",
    "enum": lambda c: f"moet een van deze waarden zijn: {_expected(c)}",
    "literal_error": lambda c: f"moet een van deze waarden zijn: {_expected(c)}",
    "list_type": lambda c: "moet een lijst zijn",
    "tuple_type": lambda c: "moet een lijst zijn",
    "set_type": lambda c: "moet een lijst zijn",
    "dict_type": lambda c: "moet een object zijn (sleutels en waarden)",
    "model_type": lambda c: "moet een object zijn (sleutels en waarden)",
    "model_attributes_type": lambda c: "moet een object zijn (sleutels en waarden)",
    "json_invalid": lambda c: f"is geen geldige JSON ({c.get('error', '')})".replace(" ()", ""),
    "json_type": lambda c: "moet JSON-tekst zijn",
    "url_parsing": lambda c: "is geen geldig webadres",
    "url_scheme": lambda c: f"moet een webadres zijn met schema {_expected(c)}",
    "uuid_parsing": lambda c: "is geen geldige UUID",
    "value_error": lambda c: _value_error(c),
    "assertion_error": lambda c: _value_error(c),
}


def _value_error(ctx: Mapping[str, Any]) -> str:
    """A validator's own `ValueError`: its text (the domain words them in Dutch), without pydantic's prefix."""
    return str(ctx.get("error", "ongeldige waarde"))


def dutch_message(error: Mapping[str, Any]) -> str:
    """The Dutch message of one pydantic error (`ErrorDetails`); the English one for a rule we do not know."""
    rule = str(error.get("type", ""))
    ctx: Mapping[str, Any] = error.get("ctx") or {}
    compose = _MESSAGES.get(rule)
    if compose is not None:
        return compose(ctx)
    return str(error.get("msg", "ongeldige waarde"))


def input_errors(
    errors: Sequence[Mapping[str, Any]], *, skip: Sequence[str] = (), whole: str = "(invoer)"
) -> list[InputError]:
    """Pydantic's errors as `InputError`s; `skip` drops location parts that are no field (`body`, `query`), and
    an error of the input as a whole is named `whole`."""
    out = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ()) if str(part) not in skip]
        out.append(InputError(".".join(loc) or whole, str(error.get("type", "")), dutch_message(error)))
    return out
