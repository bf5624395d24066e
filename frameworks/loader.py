"""Read a framework version's TOML file into the pure ``domain.rules.Rules`` model.

This is the only place rule data is read from disk, so it lives outside ``domain/``. Files are
package data next to this module (``kib-2018.toml``, ``kib-ii-2023.toml``); a version is loaded
once per process. Values marked ``{ value = ..., assumed = true }`` (or tables carrying
``assumed = true``) are unwrapped and their paths listed in ``Rules.assumed``.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any, NamedTuple

from domain.rules import Rules

_WRAPPER_KEYS = {"value", "assumed", "note"}


class AssumedValue(NamedTuple):
    """A rule value CBCT has not published: where it lives, what it is and why."""

    path: str
    value: object
    note: str


class FrameworkNotFound(LookupError):
    """No data file for the requested framework version."""


def available_versions() -> list[str]:
    """The framework version ids that have a data file, sorted."""
    return list(_versions())


@cache
def _versions() -> tuple[str, ...]:
    # Package data does not change while the process runs; every command asks, so list the folder once.
    return tuple(
        sorted(
            entry.name.removesuffix(".toml")
            for entry in resources.files("frameworks").iterdir()
            if entry.name.endswith(".toml")
        )
    )


def _read(version_id: str) -> dict[str, Any]:
    if version_id not in available_versions():
        raise FrameworkNotFound(f"kader '{version_id}' onbekend; beschikbaar: {', '.join(available_versions())}")
    text = resources.files("frameworks").joinpath(f"{version_id}.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def _is_wrapper(node: dict[str, Any]) -> bool:
    return "value" in node and set(node) <= _WRAPPER_KEYS


def _unwrap(node: Any, path: str, found: list[AssumedValue]) -> Any:
    """Strip the assumed-marks from a TOML tree, collecting the assumed paths in ``found``."""
    if isinstance(node, dict):
        if _is_wrapper(node):
            value = _unwrap(node["value"], path, [])
            if node.get("assumed", False):
                found.append(AssumedValue(path, value, str(node.get("note", ""))))
            return value
        table = {key: val for key, val in node.items() if key != "assumed"}
        if node.get("assumed", False) is True:
            found.append(AssumedValue(path, _unwrap(table, path, []), ""))
            return _unwrap(table, path, [])
        return {key: _unwrap(val, f"{path}.{key}" if path else key, found) for key, val in table.items()}
    if isinstance(node, list):
        return [_unwrap(item, f"{path}[{index}]", found) for index, item in enumerate(node)]
    return node


def _shape(raw: dict[str, Any]) -> dict[str, Any]:
    """Map the file's convenient layout onto the Rules model (shared questions, IDO services)."""
    data = dict(raw)
    template = data.pop("beoordelingsvragen", {})
    shared = [{"id": key, "text": text} for key, text in template.items()]
    data["norms"] = [{"questions": shared, **norm} for norm in data.get("norms", [])]
    data["ido_services"] = data.pop("ido", {}).get("services", [])
    return data


def _parse(version_id: str) -> tuple[Rules, tuple[AssumedValue, ...]]:
    found: list[AssumedValue] = []
    data = _shape(_unwrap(_read(version_id), "", found))
    if data.get("version_id") != version_id:
        raise ValueError(f"{version_id}.toml declares version_id '{data.get('version_id')}'")
    data["assumed"] = tuple(item.path for item in found)
    return Rules.model_validate(data), tuple(found)


@cache
def _cached(version_id: str) -> tuple[Rules, tuple[AssumedValue, ...]]:
    return _parse(version_id)


def load_rules(version_id: str) -> Rules:
    """The validated rules of a framework version; cached, so every caller shares one instance."""
    return _cached(version_id)[0]


def assumed_values(version_id: str) -> tuple[AssumedValue, ...]:
    """Every value of a framework version that CBCT has not published, with its path and note."""
    return _cached(version_id)[1]
