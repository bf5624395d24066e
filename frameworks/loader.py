"""Read a framework version's TOML file into the pure ``domain.rules.Rules`` model.

This is the only place rule data is read from disk, so it lives outside ``domain/``. Files are
package data next to this module (``kib-2018.toml``, ``kib-ii-2023.toml``); a version is loaded
once per process. Values marked ``{ value = ..., assumed = true }`` (or tables carrying
``assumed = true``) are unwrapped and their paths listed in ``Rules.assumed``.

A version's file never changes once trajectories run under it. A rule setting introduced later is declared
once in ``added-settings.toml``, with its default and the versions it applies to; the loader fills it in
where the version's file does not name it. ``framework_values`` says of every value where it came from.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any, Literal, NamedTuple

from domain.rules import Rules

_WRAPPER_KEYS = {"value", "assumed", "note"}
ADDED_SETTINGS = "added-settings"
"""The file of later rule settings (``added-settings.toml``); not a framework version."""

Origin = Literal["file", "default", "assumed"]
ORIGIN_LABELS: dict[str, str] = {"file": "bestand", "default": "standaard", "assumed": "aangenomen"}


class AddedSetting(NamedTuple):
    """A rule setting introduced after some versions were published: its default and where it applies."""

    path: str
    default: object
    versions: tuple[str, ...]
    assumed: bool
    note: str


class FrameworkValue(NamedTuple):
    """One value of a version's rules: its path in the file's layout, the value, and where it came from."""

    path: str
    value: object
    origin: Origin
    note: str


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
            if entry.name.endswith(".toml") and entry.name != f"{ADDED_SETTINGS}.toml"
        )
    )


def _read(version_id: str) -> dict[str, Any]:
    if version_id not in available_versions():
        raise FrameworkNotFound(f"kader '{version_id}' onbekend; beschikbaar: {', '.join(available_versions())}")
    text = resources.files("frameworks").joinpath(f"{version_id}.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


@cache
def added_settings() -> tuple[AddedSetting, ...]:
    """The later rule settings, as ``added-settings.toml`` declares them (each path once)."""
    text = resources.files("frameworks").joinpath(f"{ADDED_SETTINGS}.toml").read_text(encoding="utf-8")
    return parse_added_settings(tomllib.loads(text))


def parse_added_settings(raw: dict[str, Any]) -> tuple[AddedSetting, ...]:
    """Validate the declarations: a dotted path, a default, known versions, each path once."""
    settings: list[AddedSetting] = []
    for index, item in enumerate(raw.get("setting", [])):
        where = f"{ADDED_SETTINGS}.toml, setting {index + 1}"
        if not isinstance(item, dict) or not {"path", "default", "versions"} <= set(item):
            raise ValueError(f"{where}: path, default and versions are required")
        unknown = sorted(set(item["versions"]) - set(available_versions()))
        if unknown:
            raise ValueError(f"{where}: unknown framework version {', '.join(unknown)}")
        if any(s.path == item["path"] for s in settings):
            raise ValueError(f"{where}: {item['path']} is declared twice")
        settings.append(
            AddedSetting(
                str(item["path"]),
                item["default"],
                tuple(item["versions"]),
                bool(item.get("assumed", False)),
                str(item.get("note", "")),
            )
        )
    return tuple(settings)


def fill_added_settings(
    raw: dict[str, Any], version_id: str, added: tuple[AddedSetting, ...]
) -> tuple[dict[str, Any], set[str]]:
    """The file's tree with every later setting it does not name filled in; the filled-in paths."""
    filled: set[str] = set()
    tree = dict(raw)
    for setting in added:
        if version_id not in setting.versions:
            continue
        *tables, key = setting.path.split(".")
        node = tree
        for table in tables:
            node[table] = dict(node.get(table, {}))
            node = node[table]
        if key not in node:
            node[key] = {"value": setting.default, "assumed": setting.assumed, "note": setting.note}
            filled.add(setting.path)
    return tree, filled


def _values(node: Any, path: str, filled: set[str], assumed: bool, out: list[FrameworkValue]) -> None:
    """Every leaf value of the (marked) tree with its origin."""
    if isinstance(node, dict):
        if _is_wrapper(node):
            origin: Origin = "default" if path in filled else "assumed" if assumed or node.get("assumed") else "file"
            out.append(FrameworkValue(path, _unwrap(node["value"], path, []), origin, str(node.get("note", ""))))
            return
        inner = assumed or node.get("assumed", False) is True
        for key, value in node.items():
            if key != "assumed":
                _values(value, f"{path}.{key}" if path else key, filled, inner, out)
    elif isinstance(node, list) and any(isinstance(item, dict) for item in node):
        for index, item in enumerate(node):
            _values(item, f"{path}[{index}]", filled, assumed, out)
    else:
        out.append(FrameworkValue(path, node, "assumed" if assumed else "file", ""))


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
    tree, _ = fill_added_settings(_read(version_id), version_id, added_settings())
    data = _shape(_unwrap(tree, "", found))
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


@cache
def framework_values(version_id: str) -> tuple[FrameworkValue, ...]:
    """Every value of a version's rules with its origin: its own file, a later setting's default, or assumed."""
    tree, filled = fill_added_settings(_read(version_id), version_id, added_settings())
    out: list[FrameworkValue] = []
    _values(tree, "", filled, False, out)
    return tuple(out)
