"""CBCT's published register of the KiB 2018-2022 period, read from its CSV into typed rows.

The CSV ships as package data (``application/demo/data/kib-2018-2022-register.csv``). The certificate
number is the key (organisation names repeat); some names contain commas and are quoted. Every row is
validated, and a bad one is reported with its line number and the field that is wrong.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TypeVar

from domain import Association, Remark, Result

REGISTER_FILE = "kib-2018-2022-register.csv"
E = TypeVar("E", Association, Result, Remark)

COLUMNS = ("certificate_number", "organisation", "association", "result", "remark")


class RegisterError(ValueError):
    """A register file that cannot be read as CBCT's register; names the line and the field."""

    def __init__(self, message: str, *, line: int | None = None, field: str | None = None) -> None:
        where = "".join((f"regel {line}" if line is not None else "", f", veld '{field}'" if field else ""))
        super().__init__(f"{where}: {message}" if where else message)
        self.line = line
        self.field = field


@dataclass(frozen=True)
class RegisterRow:
    """One row of the published register: who, which association, and the outcome as published."""

    certificate_number: str
    organisation: str
    association: Association
    result: Result
    remark: Remark | None

    @property
    def withdrawn(self) -> bool:
        """Geen deelname: the organisation did not take part in this round."""
        return self.remark is Remark.NO_PARTICIPATION


def _choice(kind: type[E], value: str, line: int, field: str) -> E:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(f"'{member.value}'" for member in kind)
        raise RegisterError(
            f"'{value}' is geen geldige waarde (toegestaan: {allowed})", line=line, field=field
        ) from None


def _row(record: dict[str, str | None], line: int) -> RegisterRow:
    values: dict[str, str] = {}
    for column in COLUMNS:
        value = record.get(column)
        if value is None:
            raise RegisterError("ontbreekt (te weinig kolommen)", line=line, field=column)
        values[column] = value.strip()
    if None in record:
        raise RegisterError("te veel kolommen (een naam met een komma moet tussen aanhalingstekens)", line=line)
    number = values["certificate_number"]
    if not number.isdigit():
        raise RegisterError(
            f"'{number}' is geen certificaatnummer (alleen cijfers)", line=line, field="certificate_number"
        )
    if not values["organisation"]:
        raise RegisterError("is leeg", line=line, field="organisation")
    result = _choice(Result, values["result"], line, "result")
    remark = _choice(Remark, values["remark"], line, "remark") if values["remark"] else None
    if result is Result.CERTIFIED and remark is not None:
        raise RegisterError(f"'{remark.value}' hoort niet bij '{result.value}'", line=line, field="remark")
    if remark is Remark.NO_PARTICIPATION and result is not Result.NOT_CERTIFIED:
        raise RegisterError(
            f"'{remark.value}' hoort alleen bij '{Result.NOT_CERTIFIED.value}'", line=line, field="remark"
        )
    return RegisterRow(
        certificate_number=number,
        organisation=values["organisation"],
        association=_choice(Association, values["association"], line, "association"),
        result=result,
        remark=remark,
    )


def parse_register(lines: Iterable[str]) -> list[RegisterRow]:
    """Rows from the CSV text (header first); duplicate certificate numbers are refused."""
    reader = csv.DictReader(lines)
    header = tuple(name.strip() for name in reader.fieldnames or ())
    if header != COLUMNS:
        raise RegisterError(f"kolommen {', '.join(header) or '(geen)'}; verwacht {', '.join(COLUMNS)}", line=1)
    reader.fieldnames = list(COLUMNS)
    rows: list[RegisterRow] = []
    seen: dict[str, int] = {}
    for record in reader:
        line = reader.line_num
        row = _row(record, line)
        if row.certificate_number in seen:
            raise RegisterError(
                f"certificaatnummer {row.certificate_number} staat al op regel {seen[row.certificate_number]}",
                line=line,
                field="certificate_number",
            )
        seen[row.certificate_number] = line
        rows.append(row)
    return rows


def load_register(path: str | Path | None = None) -> list[RegisterRow]:
    """The register rows from ``path``, or from the copy shipped with the package."""
    if path is None:
        resource = resources.files("application.demo").joinpath("data", REGISTER_FILE)
        return parse_register(io.StringIO(resource.read_text(encoding="utf-8-sig"), newline=""))
    with Path(path).open("r", encoding="utf-8-sig", newline="") as handle:
        return parse_register(handle)
