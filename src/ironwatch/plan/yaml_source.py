"""YAML parsing that remembers where every key and value came from.

PyYAML's composer gives each node a start mark; walking the node tree builds an index from data paths
(``("team", "people", 2, "email")``) to 1-based line and column, so later validation errors can point
at the exact spot in the user's file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from ironwatch.core.errors import SourceLocation
from ironwatch.plan.problems import PlanProblem

Path = tuple[str | int, ...]
MAX_NODES = 200_000  # a real plan has a few thousand; more means aliases nested to blow up memory
MAX_DEPTH = 40  # a real plan nests fewer than ten levels; more means a recursive alias
_MERGE_TAG = "tag:yaml.org,2002:merge"


@dataclass
class LocatedDocument:
    """The parsed data plus where each value (and each mapping key) starts in the source."""

    source: str
    data: Any
    values: dict[Path, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def locate(self, path: Path, *, key: bool = False) -> SourceLocation:
        """The location of ``path`` (its key if ``key``), or of its nearest ancestor that was written."""
        table = self.keys if key else self.values
        if path in table:
            line, column = table[path]
            return SourceLocation(self.source, line, column)
        for end in range(len(path) - 1, -1, -1):
            if path[:end] in self.values:
                line, column = self.values[path[:end]]
                return SourceLocation(self.source, line, column)
        return SourceLocation(self.source)


class _Walk:
    def __init__(self, document: LocatedDocument) -> None:
        self.document = document
        self.visited = 0
        self.exhausted = False
        self.problems: list[PlanProblem] = []

    def node(self, node: yaml.Node, path: Path) -> None:
        self.visited += 1
        if self.visited > MAX_NODES or len(path) > MAX_DEPTH:
            self.exhausted = True
            return
        self.document.values.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key_node, value_node in node.value:
                if key_node.tag == _MERGE_TAG or not isinstance(key_node, yaml.ScalarNode):
                    self.node(value_node, path)
                    continue
                name = str(key_node.value)
                line, column = key_node.start_mark.line + 1, key_node.start_mark.column + 1
                if name in seen:
                    self.problems.append(
                        PlanProblem(
                            SourceLocation(self.document.source, line, column),
                            f"duplicate key {name!r} (first given on line {seen[name]})",
                            "YAML keeps only the last one; remove or merge the duplicates",
                        )
                    )
                seen[name] = line
                self.document.keys.setdefault((*path, name), (line, column))
                self.node(value_node, (*path, name))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self.node(item, (*path, index))


def parse_located_yaml(text: str, *, source: str) -> tuple[LocatedDocument | None, list[PlanProblem]]:
    """Parse one YAML document; return it with its location index, or None and the syntax problems."""
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None, [PlanProblem(SourceLocation(source, 1, 1), "the plan file is empty", _START_HINT)]
        document = LocatedDocument(source, None)
        walk = _Walk(document)
        walk.node(root, ())
        if walk.exhausted:
            message = f"the plan expands to more than {MAX_NODES} values or {MAX_DEPTH} levels"
            hint = "YAML aliases (*name) are nested too deeply or refer to themselves; write the values out"
            return None, [PlanProblem(SourceLocation(source, 1, 1), message, hint)]
        document.data = loader.construct_document(root)
    except yaml.MarkedYAMLError as exc:
        return None, [_syntax_problem(exc, source)]
    except yaml.YAMLError as exc:
        return None, [PlanProblem(SourceLocation(source), f"YAML error: {exc}", _SYNTAX_HINT)]
    finally:
        loader.dispose()
    return document, walk.problems


_START_HINT = "start from the starter plan (init_plan_text) and fill it in"
_SYNTAX_HINT = "check the indentation, colons and quotes around this spot"


def _syntax_problem(exc: yaml.MarkedYAMLError, source: str) -> PlanProblem:
    mark = exc.problem_mark or exc.context_mark
    location = SourceLocation(source, mark.line + 1, mark.column + 1) if mark else SourceLocation(source)
    message = f"YAML syntax error: {exc.problem or 'cannot parse'}"
    if exc.context:
        message += f" ({exc.context})"
    return PlanProblem(location, message, _SYNTAX_HINT)
