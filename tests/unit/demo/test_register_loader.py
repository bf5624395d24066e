"""The register loader: CBCT's CSV into typed rows, with errors naming the line and the field."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from application.demo import RegisterError, RegisterRow, load_register
from domain import Association, Remark, Result

HEADER = "certificate_number,organisation,association,result,remark\r\n"
SHARED = Path(__file__).resolve().parents[3] / "application" / "demo" / "data" / "kib-2018-2022-register.csv"


def write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "register.csv"
    path.write_text(HEADER + "".join(f"{line}\r\n" for line in lines), encoding="utf-8")
    return path


def test_the_packaged_register_has_251_rows_keyed_by_certificate_number(rows: list[RegisterRow]) -> None:
    """251 rows, every certificate number once, every field typed with the domain's enums."""
    assert len(rows) == 251
    assert len({r.certificate_number for r in rows}) == 251
    assert all(isinstance(r.association, Association) and isinstance(r.result, Result) for r in rows)
    assert Counter(r.association for r in rows) == {
        Association.VOB: 132,
        Association.CULTUURCONNECTIE: 104,
        Association.BOTH: 15,
    }


def test_every_published_outcome_is_read(rows: list[RegisterRow]) -> None:
    """The (result, remark) pairs and their counts as CBCT published them."""
    assert Counter((r.result, r.remark) for r in rows) == {
        (Result.CERTIFIED, None): 195,
        (Result.NOT_CERTIFIED, Remark.NO_PARTICIPATION): 37,
        (Result.CONDITIONAL, Remark.CERTIFIED_AFTER_HERAUDIT): 10,
        (Result.CONDITIONAL, Remark.HERAUDIT_IN_PREPARATION): 5,
        (Result.CONDITIONAL, Remark.NO_HERAUDIT_REQUESTED): 2,
        (Result.NOT_CERTIFIED, Remark.NO_HERAUDIT_REQUESTED): 2,
    }


def test_quoted_names_with_commas_stay_whole(rows: list[RegisterRow]) -> None:
    """'Bibliotheek Angstel, Vecht en Venen' is one organisation, not two columns."""
    by_number = {r.certificate_number: r for r in rows}
    assert by_number["1160"].organisation == "Bibliotheek Angstel, Vecht en Venen"
    assert by_number["1010"].association is Association.BOTH


def test_a_path_reads_the_same_rows_as_the_package(rows: list[RegisterRow]) -> None:
    """Loading the file by path gives the packaged rows."""
    assert load_register(SHARED) == rows


@pytest.mark.parametrize(
    ("line", "field", "fragment"),
    [
        ("1001,Bibliotheek X,Bibliotheekvereniging,Gecertificeerd,", "association", "'Bibliotheekvereniging'"),
        ("1001,Bibliotheek X,VOB,Geslaagd,", "result", "'Geslaagd'"),
        ("1001,Bibliotheek X,VOB,Niet gecertificeerd,Onbekend", "remark", "'Onbekend'"),
        ("1001,Bibliotheek X,VOB,Gecertificeerd,Geen deelname", "remark", "hoort niet bij"),
        ("10x1,Bibliotheek X,VOB,Gecertificeerd,", "certificate_number", "geen certificaatnummer"),
        ("1001,,VOB,Gecertificeerd,", "organisation", "leeg"),
        ("1001,Bibliotheek X,VOB", "result", "ontbreekt"),
    ],
)
def test_a_bad_row_is_refused_naming_line_and_field(tmp_path: Path, line: str, field: str, fragment: str) -> None:
    """The error says which line (counting the header) and which field is wrong, and why."""
    path = write(tmp_path, "1000,Bibliotheek Goed,VOB,Gecertificeerd,", line)
    with pytest.raises(RegisterError) as error:
        load_register(path)
    assert (error.value.line, error.value.field) == (3, field)
    assert str(error.value).startswith(f"regel 3, veld '{field}'") and fragment in str(error.value)


def test_an_unquoted_comma_and_a_duplicate_number_are_refused(tmp_path: Path) -> None:
    """An extra column and a second row for the same certificate number each name their line."""
    with pytest.raises(RegisterError, match="regel 2: te veel kolommen"):
        load_register(write(tmp_path, "1001,Bibliotheek A, B,VOB,Gecertificeerd,"))
    with pytest.raises(RegisterError, match=r"regel 3, veld 'certificate_number'.*regel 2"):
        load_register(write(tmp_path, "1001,A,VOB,Gecertificeerd,", "1001,B,VOB,Gecertificeerd,"))


def test_a_wrong_header_is_refused(tmp_path: Path) -> None:
    """A file with other columns is not CBCT's register."""
    path = tmp_path / "other.csv"
    path.write_text("nummer,naam\n1,x\n", encoding="utf-8")
    with pytest.raises(RegisterError, match="regel 1: kolommen nummer, naam"):
        load_register(path)
