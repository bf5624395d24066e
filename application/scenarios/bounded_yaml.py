"""YAML from a file anyone may hand us, read within bounds of depth and size.

`yaml.safe_load` builds no objects of its own choosing, but it is not bounded: nine levels of nine
aliases (the "billion laughs") describe 3.9 billion values in a few hundred bytes, which every walk over
the data then expands (2.8 GB before `cbct scenario run` was killed); a hundred thousand `[` exhaust the
composer's recursion. So the document is composed into nodes first, counting its depth while composing,
and the node graph is measured *as expanded* (every alias counted as often as it is used) before
anything is built from it. Anchors and aliases stay allowed for what they are good for (one contact
list used in two steps); a document that expands beyond `max_nodes` values, nests deeper than
`max_depth`, or refers to itself is refused with a `BoundedYamlError` naming the line.

Events come from libyaml when it is installed (four times faster than PyYAML's own scanner and parser;
its parser keeps an explicit stack, so depth cannot hurt it); the composing is PyYAML's Python
composer either way, so the bounds are checked in one place.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader, ReaderError
from yaml.resolver import Resolver
from yaml.scanner import Scanner

try:
    from yaml._yaml import CParser as _CParser
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    _CParser = None

WITH_LIBYAML = _CParser is not None


class BoundedYamlError(ValueError):
    """The text is no YAML within the bounds; `line` (1-based) where known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(f"{message} (regel {line})" if line is not None else message)
        self.line = line


class _Bounds:
    """The composer's side: depth while composing, expanded size and height before constructing."""

    max_depth: int
    max_nodes: int
    _depth: int
    _composed: int

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        self._depth += 1
        self._composed += 1
        try:
            if self._depth > self.max_depth:
                mark = self.peek_event().start_mark  # type: ignore[attr-defined]
                raise BoundedYamlError(f"te diep genest (meer dan {self.max_depth} niveaus)", mark.line + 1)
            if self._composed > self.max_nodes:
                mark = self.peek_event().start_mark  # type: ignore[attr-defined]
                raise BoundedYamlError(f"te veel waarden (meer dan {self.max_nodes})", mark.line + 1)
            node: Node = super().compose_node(parent, index)  # type: ignore[misc]
            return node
        finally:
            self._depth -= 1

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        """A value PyYAML's constructors fail on with a plain Python error (`2025-13-01`, an integer of
        5,000 digits) becomes a YAML error on that node's line."""
        try:
            return super().construct_object(node, deep)  # type: ignore[misc]
        except (ValueError, OverflowError, TypeError) as error:
            if isinstance(error, BoundedYamlError):
                raise
            reason = " ".join(str(error).split(":")[0].split())
            raise BoundedYamlError(f"waarde niet te lezen ({reason})", node.start_mark.line + 1) from None


def _measure(root: Node, *, max_nodes: int, max_depth: int) -> None:
    """Refuse a node graph whose expansion holds more than `max_nodes` nodes, is more than `max_depth`
    deep, or contains itself. Iterative and memoized per node, so a bomb is measured in linear time."""
    size: dict[int, int] = {}
    height: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        children = _children(node)
        if done:
            on_path.discard(key)
            size[key] = 1 + sum(size[id(c)] for c in children)
            height[key] = 1 + max((height[id(c)] for c in children), default=0)
            if size[key] > max_nodes:
                raise BoundedYamlError(
                    f"te veel waarden na het uitvouwen van aliassen (meer dan {max_nodes})",
                    node.start_mark.line + 1,
                )
            if height[key] > max_depth:
                raise BoundedYamlError(
                    f"te diep genest na het uitvouwen van aliassen (meer dan {max_depth} niveaus)",
                    node.start_mark.line + 1,
                )
            continue
        if key in size:
            continue
        on_path.add(key)
        stack.append((node, True))
        for child in children:
            if id(child) in on_path:
                raise BoundedYamlError("een alias verwijst naar zichzelf", child.start_mark.line + 1)
            if id(child) not in size:
                stack.append((child, False))


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    return []


class _PythonLoader(_Bounds, Reader, Scanner, Parser, Composer, SafeConstructor, Resolver):  # type: ignore[misc]
    def __init__(self, text: str, max_depth: int, max_nodes: int) -> None:
        Reader.__init__(self, text)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)
        self.max_depth, self.max_nodes, self._depth, self._composed = max_depth, max_nodes, 0, 0


if _CParser is not None:

    class _FastLoader(_Bounds, Composer, _CParser, SafeConstructor, Resolver):  # type: ignore[misc]
        """libyaml's events, PyYAML's (bounded) composer: `Composer` comes before `CParser` so that its
        `get_single_node` and `compose_node` are the ones used."""

        def __init__(self, text: str, max_depth: int, max_nodes: int) -> None:
            _CParser.__init__(self, text)
            Composer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)
            self.max_depth, self.max_nodes, self._depth, self._composed = max_depth, max_nodes, 0, 0

    _Loader: type = _FastLoader
else:  # pragma: no cover
    _Loader = _PythonLoader


def load_bounded_yaml(text: str, *, max_depth: int, max_nodes: int) -> Any:
    """The single YAML document in `text` as plain Python values (`yaml.safe_load`'s), within bounds."""
    loader = None
    try:
        loader = _Loader(text, max_depth, max_nodes)
        node = loader.get_single_node()
        if node is None:
            return None
        _measure(node, max_nodes=max_nodes, max_depth=max_depth)
        return loader.construct_document(node)
    except BoundedYamlError:
        raise
    except ReaderError as error:  # libyaml gives the character as a number, PyYAML as a string
        code = error.character if isinstance(error.character, int) else ord(error.character)
        raise BoundedYamlError(
            f"geen geldige YAML: teken U+{code:04X} is niet toegestaan (positie {error.position})"
        ) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = " ".join(str(getattr(error, "problem", None) or error).split())
        if "nesting depth" in problem:  # libyaml's own limit (1000), met before ours in a flow of brackets
            problem = f"te diep genest (meer dan {max_depth} niveaus)"
        else:
            problem = f"geen geldige YAML: {problem}"
        raise BoundedYamlError(problem, mark.line + 1 if mark is not None else None) from None
    except RecursionError:  # bounded above; a last line of defence, still one line
        raise BoundedYamlError(f"te diep genest (meer dan {max_depth} niveaus)") from None
    finally:
        if loader is not None:
            loader.dispose()
