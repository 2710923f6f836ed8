"""The classification scheme: categories (classes and their types), each with its handling procedure.

The default is the ENISA Reference Security Incident Taxonomy. ``base: enisa-rsit`` keeps it and lets the
plan add categories or replace built-in ones by id; ``base: none`` uses only the plan's own categories.
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, model_validator

from ironwatch.plan.enisa import RSIT, SPECIAL_HANDLING_BY_DEFAULT, TAXONOMY_NAME
from ironwatch.plan.fieldtypes import Identifier, PlanModel
from ironwatch.plan.inconsistency import Inconsistency, duplicates, raise_if_any, unknown_reference


class Category(PlanModel):
    """A class (no parent) or a type within a class; types inherit their class's playbook."""

    id: Identifier
    name: str = Field(min_length=1)
    description: str = Field(min_length=1)
    parent: Identifier | None = Field(default=None, description="class id; omit for a top-level class")
    playbook: Identifier | None = Field(default=None, description="id of the handling procedure (playbook)")
    special_handling: bool = Field(default=False, description="see the policy's special handling definitions")


ENISA_CATEGORIES: tuple[Category, ...] = tuple(
    Category(
        id=cid,
        parent=parent,
        name=name,
        description=description,
        special_handling=cid in SPECIAL_HANDLING_BY_DEFAULT,
    )
    for cid, parent, name, description in RSIT
)


class TagMapping(PlanModel):
    """A rule tag (ATT&CK tactic or technique, Sigma tag) that points alerts at a category.

    ``tag`` covers its sub-tags (``attack.t1110`` covers ``attack.t1110.001``); a trailing ``*`` matches
    any tag with that prefix. Among an incident's alerts the mapping with the highest ``rank`` wins.
    """

    tag: str = Field(min_length=2, max_length=100, pattern=r"^[a-z0-9_.*-]+$")
    category: Identifier
    rank: int = Field(default=50, ge=0, le=1000, description="higher wins, e.g. a compromise over an attempt")


class Classification(PlanModel):
    """The classification scheme the plan uses; see the module docstring for ``base``.

    ``tag_mapping`` adds to (or, for the same tag, replaces) the mapping from rule tags to categories
    that ironwatch ships (``triage/tag_mapping.yaml``); ``builtin_tag_mapping: false`` drops the shipped one.
    """

    name: str = Field(default=TAXONOMY_NAME, min_length=1)
    base: Literal["enisa-rsit", "none"] = "enisa-rsit"
    categories: tuple[Category, ...] = ()
    tag_mapping: tuple[TagMapping, ...] = ()
    builtin_tag_mapping: bool = Field(default=True, description="use the tag mapping ironwatch ships")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        found = duplicates(self.categories, lambda c: c.id, at=("categories",), what="category id")
        if self.base == "none" and not self.categories:
            found.append(
                Inconsistency(
                    ("categories",),
                    "the classification has no categories",
                    "list categories, or set base: enisa-rsit to use the ENISA taxonomy",
                )
            )
        effective = {c.id: c for c in self.effective_categories}
        for i, category in enumerate(self.categories):
            if category.parent is None:
                continue
            parent = effective.get(category.parent)
            classes = {c.id for c in effective.values() if c.parent is None}
            if category.parent == category.id:
                found.append(Inconsistency(("categories", i, "parent"), f"{category.id!r} is its own parent"))
            elif parent is None:
                found.append(
                    unknown_reference(("categories", i, "parent"), category.parent, "parent class", classes)
                )
            elif parent.parent is not None:
                found.append(
                    Inconsistency(
                        ("categories", i, "parent"),
                        f"parent {category.parent!r} is itself a type of {parent.parent!r}",
                        "a type's parent must be a class (a category with no parent)",
                    )
                )
        found += duplicates(self.tag_mapping, lambda m: m.tag, at=("tag_mapping",), what="mapped tag")
        for i, mapping in enumerate(self.tag_mapping):
            if mapping.category not in effective:
                found.append(
                    unknown_reference(("tag_mapping", i, "category"), mapping.category, "category", effective)
                )
        raise_if_any(found)
        return self

    @property
    def effective_categories(self) -> tuple[Category, ...]:
        """Every category in use: the base taxonomy with the plan's categories added or replacing by id."""
        if self.base == "none":
            return self.categories
        own = {c.id: c for c in self.categories}
        merged = [own.pop(c.id, c) for c in ENISA_CATEGORIES]
        merged.extend(c for c in self.categories if c.id in own)
        return tuple(merged)

    def category(self, category_id: str) -> Category | None:
        """The category with ``category_id``, or None."""
        return next((c for c in self.effective_categories if c.id == category_id), None)

    def playbook_for(self, category_id: str) -> str | None:
        """The handling procedure for a category: its own playbook, else its class's, else None."""
        category = self.category(category_id)
        if category is None:
            return None
        if category.playbook is None and category.parent is not None:
            parent = self.category(category.parent)
            return parent.playbook if parent else None
        return category.playbook
