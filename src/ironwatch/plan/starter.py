"""The commented starter plan a small organisation adopts and adapts."""

from __future__ import annotations

import json
from importlib import resources

from ironwatch.core.errors import ValidationError

_QUOTED = '"@ORG@"'
_PLACEHOLDER = "@ORG@"
MAX_ORGANISATION_NAME = 200


def starter_plan_template() -> str:
    """The starter plan with the ``@ORG@`` placeholder still in place."""
    return resources.files("ironwatch.plan").joinpath("starter_plan.yaml").read_text(encoding="utf-8")


def init_plan_text(org: str) -> str:
    """The starter plan YAML for organisation ``org``: every section filled with example content.

    >>> "name: \\"Example Ltd\\"" in init_plan_text("Example Ltd")
    True
    """
    name = org.strip() if isinstance(org, str) else ""
    if not name:
        raise ValidationError(
            "the organisation name is empty", hint="give the organisation's name, e.g. 'Acme Ltd'"
        )
    if len(name) > MAX_ORGANISATION_NAME:
        raise ValidationError(
            f"the organisation name is {len(name)} characters long",
            hint=f"use at most {MAX_ORGANISATION_NAME} characters",
        )
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise ValidationError(
            "the organisation name contains control characters or line breaks", hint="use one line"
        )
    # The quoted value becomes a JSON string, which is valid YAML; elsewhere the name sits inside
    # folded block scalars and comments, where any single line of text is safe.
    text = starter_plan_template().replace(_QUOTED, json.dumps(name, ensure_ascii=False))
    return text.replace(_PLACEHOLDER, name)
