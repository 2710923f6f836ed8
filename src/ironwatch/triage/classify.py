"""Category from rule tags: the shipped tag mapping (``tag_mapping.yaml``) merged with the plan's.

The mapping is data, so a team teaches ironwatch its own tags without code: the plan's
``classification.tag_mapping`` adds entries or replaces shipped ones for the same tag.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources

import yaml

from ironwatch.plan.models import Plan, TagMapping


@dataclass(frozen=True)
class Classified:
    """The category chosen for a set of tags, and why."""

    category: str | None
    reason: str


@functools.cache
def builtin_mapping() -> tuple[TagMapping, ...]:
    """The mapping shipped in the package, parsed once."""
    text = resources.files("ironwatch.triage").joinpath("tag_mapping.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    return tuple(TagMapping.model_validate(entry) for entry in data["mappings"])


def effective_mapping(plan: Plan) -> tuple[TagMapping, ...]:
    """The shipped mapping (unless switched off) with the plan's entries added or replacing by tag."""
    own = {m.tag: m for m in plan.classification.tag_mapping}
    shipped = builtin_mapping() if plan.classification.builtin_tag_mapping else ()
    return (*(m for m in shipped if m.tag not in own), *plan.classification.tag_mapping)


def tag_matches(pattern: str, tag: str) -> bool:
    """``attack.t1110`` covers itself and its sub-tags; ``attack.*`` covers a prefix."""
    tag = tag.lower()
    if pattern.endswith("*"):
        return tag.startswith(pattern[:-1])
    return tag == pattern or tag.startswith(pattern + ".")


def classify(plan: Plan, tags: Iterable[str]) -> Classified:
    """The category of the highest-ranked mapping any of ``tags`` hits (ties: the more specific tag).

    Categories the plan's taxonomy does not have are skipped; with no hit the category stays open
    for a person to set (``undetermined`` where the taxonomy has it).
    """
    tags = sorted({t.lower() for t in tags})
    best: tuple[int, int, str, TagMapping, str] | None = None
    for mapping in effective_mapping(plan):
        if plan.classification.category(mapping.category) is None:
            continue
        for tag in tags:
            if tag_matches(mapping.tag, tag):
                candidate = (mapping.rank, len(mapping.tag), mapping.tag, mapping, tag)
                if best is None or candidate[:3] > best[:3]:
                    best = candidate
    if best is not None:
        _, _, _, mapping, tag = best
        return Classified(
            mapping.category, f"rule tag {tag} maps to {mapping.category} (rank {mapping.rank})"
        )
    fallback = "undetermined" if plan.classification.category("undetermined") else None
    listed = ", ".join(tags) or "none"
    return Classified(fallback, f"no tag mapping matches the rule tags ({listed})")
