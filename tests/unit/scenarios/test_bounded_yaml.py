"""Bounded YAML: what `yaml.safe_load` gives for ordinary documents, a one-line refusal for bombs, deep
nesting, self-reference and values PyYAML cannot build; the same with and without libyaml."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from application.scenarios import bounded_yaml
from application.scenarios.bounded_yaml import BoundedYamlError, load_bounded_yaml


@pytest.fixture(params=["libyaml", "python"])
def loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    if request.param == "python":
        monkeypatch.setattr(bounded_yaml, "_Loader", bounded_yaml._PythonLoader)
    elif not bounded_yaml.WITH_LIBYAML:
        pytest.skip("PyYAML without libyaml")
    yield request.param


def load(text: str, *, depth: int = 20, nodes: int = 1000) -> object:
    return load_bounded_yaml(text, max_depth=depth, max_nodes=nodes)


def refused(text: str, **bounds: int) -> str:
    with pytest.raises(BoundedYamlError) as error:
        load(text, **bounds)
    message = str(error.value)
    assert "\n" not in message
    return message


def test_an_ordinary_document_reads_as_safe_load_reads_it(loader: str) -> None:
    """A shared list through an anchor stays allowed: a small expansion is what anchors are for."""
    text = "contacts: &c [{name: Anna, email: anna@x.example}]\nagain: *c\nday: 2025-11-03\nn: 3\n"
    assert load(text) == {
        "contacts": [{"name": "Anna", "email": "anna@x.example"}],
        "again": [{"name": "Anna", "email": "anna@x.example"}],
        "day": date(2025, 11, 3),
        "n": 3,
    }
    assert load("") is None


def test_a_billion_laughs_is_refused_before_it_is_expanded(loader: str) -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    message = refused("\n".join(lines), nodes=200_000)
    assert message.startswith("te veel waarden na het uitvouwen van aliassen (meer dan 200000)")


def test_too_many_plain_values_are_refused_while_composing(loader: str) -> None:
    assert refused("[" + ",".join(["1"] * 2000) + "]").startswith("te veel waarden (meer dan 1000)")


@pytest.mark.parametrize(
    "text",
    [
        "[" * 50 + "]" * 50,
        "".join("  " * i + "-\n" for i in range(30)) + "  " * 30 + "- x\n",
        "[" * 100_000 + "]" * 100_000,
    ],
    ids=["flow", "block", "100000-brackets"],
)
def test_deep_nesting_is_refused_naming_the_limit(loader: str, text: str) -> None:
    assert refused(text).startswith("te diep genest (meer dan 20 niveaus)")


def test_depth_reached_through_aliases_counts_too(loader: str) -> None:
    chain = "l0: &a0 [1]\n" + "".join(f"l{i}: &a{i} [*a{i - 1}]\n" for i in range(1, 40))
    assert "te diep genest na het uitvouwen van aliassen" in refused(chain)


@pytest.mark.parametrize("text", ["a: &a [1, *a]", "a: &a {b: *a}"])
def test_a_node_that_contains_itself_is_refused(loader: str, text: str) -> None:
    assert refused(text).startswith("een alias verwijst naar zichzelf")


@pytest.mark.parametrize(
    ("text", "start"),
    [
        ("at: 2025-13-01", "waarde niet te lezen (month must be in 1..12) (regel 1)"),
        ("n: " + "9" * 5000, "waarde niet te lezen"),
        ("a: [1\nb: 2", "geen geldige YAML"),
        ("a: 1\n---\nb: 2", "geen geldige YAML"),
        ("a: *nope", "geen geldige YAML: found undefined alias"),
        ("a: !!python/object:os.system x", "geen geldige YAML: could not determine a constructor"),
        ("a: \x01", "geen geldige YAML: teken U+0001 is niet toegestaan"),
    ],
    ids=["month-13", "huge-int", "syntax", "two-documents", "undefined-alias", "python-tag", "control-char"],
)
def test_what_pyyaml_cannot_build_is_one_line(loader: str, text: str, start: str) -> None:
    assert refused(text).startswith(start)
