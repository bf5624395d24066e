"""Repeatable contact-person rows of a portal form (the intake, the contact persons page).

The rows work without JavaScript: a few rows are shown, and "meer regels" posts the form back with one
row more (nothing is sent); with htmx the button fetches one row. The rows posted are counted from the
field names (`contacts.<n>.name|email|role`), and the filled-in ones are moved up, so that an error
message's row number is the row shown.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from domain.commands import Command
from interfaces.web.forms import CommandForm, Values

FIELD = "contacts"
SUBFIELDS = ("name", "email", "role")
_KEY = re.compile(r"^contacts\.(\d{1,3})\.(name|email|role)$")


def most_items(command: type[Command], name: str = FIELD) -> int:
    """The most items `command` takes in its field `name` (the field's `max_length`)."""
    return next(int(m.max_length) for m in command.model_fields[name].metadata if hasattr(m, "max_length"))


def with_rows(form: CommandForm, rows: int) -> CommandForm:
    """`form` with `rows` rows of contacts."""
    fields = tuple(dataclasses.replace(f, repeat=rows) if f.name == FIELD else f for f in form.fields)
    return dataclasses.replace(form, fields=fields)


def rows_posted(posted: Any, *, at_least: int, at_most: int) -> int:
    """How many contact rows the posted form had (at least `at_least`, at most `at_most`)."""
    indexes = [int(m.group(1)) for key in posted if (m := _KEY.match(str(key)))]
    return min(max([at_least - 1, *indexes]) + 1, at_most)


def compact(values: Values, rows: int) -> None:
    """Move the filled-in rows up, in order; the rows after them are emptied."""
    filled = [
        [values.get(f"{FIELD}.{n}.{sub}", "") for sub in SUBFIELDS]
        for n in range(rows)
        if any(str(values.get(f"{FIELD}.{n}.{sub}", "")).strip() for sub in SUBFIELDS)
    ]
    for n in range(rows):
        cells = filled[n] if n < len(filled) else ["", "", ""]
        for sub, cell in zip(SUBFIELDS, cells, strict=True):
            values[f"{FIELD}.{n}.{sub}"] = cell


def contact_field(form: CommandForm) -> Any:
    """The form's contacts field (for the row templates)."""
    return next(f for f in form.fields if f.name == FIELD)
