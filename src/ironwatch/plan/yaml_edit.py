"""Replace one value in a YAML file's text and leave every other byte (comments included) as it was.

Imports (assets, training completions) produce a new plan version from the plan in force; people keep
their plan as a commented file, so only the imported section is rewritten. PyYAML's composer gives each
node its start and end in the text, which is all a splice needs.
"""

from __future__ import annotations

from typing import Any

import yaml

Path = tuple[str, ...]


def _entry(node: yaml.MappingNode, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    found = None
    for key_node, value_node in node.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            found = (key_node, value_node)  # YAML keeps the last of duplicate keys
    return found


def _content_end(node: yaml.Node) -> int:
    """Where the node's own text ends (a block collection's end mark lies at the next token)."""
    if isinstance(node, yaml.MappingNode) and not node.flow_style and node.value:
        return max(max(_content_end(k), _content_end(v)) for k, v in node.value)
    if isinstance(node, yaml.SequenceNode) and not node.flow_style and node.value:
        return max(_content_end(item) for item in node.value)
    return int(node.end_mark.index)


def _line_end(text: str, index: int) -> int:
    """The index of the line break ending the line that holds ``text[index - 1]`` (or the text's end)."""
    if index > 0 and text[index - 1] == "\n":
        return index - 1
    found = text.find("\n", index)
    return len(text) if found == -1 else found


class _PlanDumper(yaml.SafeDumper):
    """Block style with indented sequences, lists of plain values on one line: the starter plan's style."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _flat(value: Any) -> bool:
    """A list of plain values, written on one line: ``[a, b]``."""
    return isinstance(value, list) and all(not isinstance(item, dict | list) for item in value)


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=_flat(data))


_PlanDumper.add_representer(list, _represent_list)


def _block(key: str, value: Any, column: int) -> str:
    dumped = yaml.dump(
        value, Dumper=_PlanDumper, default_flow_style=False, sort_keys=False, allow_unicode=True, width=100
    ).rstrip("\n")
    if dumped.endswith("\n..."):
        dumped = dumped[: -len("\n...")]
    if isinstance(value, dict | list) and value and not _flat(value):
        pad = " " * (column + 2)
        return f"{key}:\n" + "\n".join(pad + line if line else line for line in dumped.split("\n"))
    return f"{key}: {dumped}"


def _nested(path: Path, value: Any) -> Any:
    for key in reversed(path):
        value = {key: value}
    return value


def replace_value(text: str, path: Path, value: Any) -> str:
    """``text`` with the mapping value at ``path`` set to ``value`` (JSON-like data), written in block style.

    Only the replaced entry is rewritten; a missing key is added at the end of its mapping (with any
    missing parents). A mapping written in flow style on the way (``training: {}``) is rewritten whole.

    >>> replace_value("a: 1  # one\\nb: 2\\n", ("b",), [{"c": 3}])
    'a: 1  # one\\nb:\\n  - c: 3\\n'
    """
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if not isinstance(root, yaml.MappingNode) or root.flow_style:
        raise ValueError("the document is not a block mapping")
    node: yaml.MappingNode = root
    for depth, key in enumerate(path):
        found = _entry(node, key)
        rest = path[depth + 1 :]
        if found is None:
            if not node.value:
                raise ValueError("cannot add a key to an empty mapping")
            column = int(node.value[0][0].start_mark.column)
            at = _line_end(text, _content_end(node))
            return text[:at] + "\n" + " " * column + _block(key, _nested(rest, value), column) + text[at:]
        key_node, value_node = found
        if rest and isinstance(value_node, yaml.MappingNode) and not value_node.flow_style:
            node = value_node
            continue
        if rest and isinstance(value_node, yaml.MappingNode):
            data = yaml.safe_load(text[value_node.start_mark.index : value_node.end_mark.index]) or {}
            inner = data
            for part in rest[:-1]:
                inner = inner.setdefault(part, {})
            inner[rest[-1]] = value
            value = data
        elif rest:
            value = _nested(rest, value)
        start = key_node.start_mark.index
        at = _line_end(text, _content_end(value_node))
        return text[:start] + _block(key, value, key_node.start_mark.column) + text[at:]
    raise ValueError("an empty path names no value")
