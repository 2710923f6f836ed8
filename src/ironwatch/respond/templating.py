"""The small, safe expression language of playbooks: Jinja2 in its sandbox.

Step inputs are templates (``"{{ item }}"``, ``"{{ incident.ref }}: blocked"``); ``when`` and
``for_each`` are expressions (``incident.severity in ['high', 'critical']``, ``observables.ipv4``).
The sandbox refuses attribute access to Python internals, so a playbook file can read the incident
and its observables and nothing else; undefined names are errors, so a typo fails validation instead
of quietly becoming an empty string.
"""

from __future__ import annotations

from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ironwatch.core.errors import ValidationError
from ironwatch.core.observables import ObservableType

_ENV = ImmutableSandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False)
MAX_ITEMS = 100
MAX_RENDERED = 10_000


class TemplateProblem(ValueError):
    """A template or expression that does not compile or does not evaluate."""


def check_template(text: str) -> None:
    """Raise ``TemplateProblem`` if ``text`` is not a valid template."""
    try:
        _ENV.parse(text)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateProblem(f"template syntax error: {exc.message}") from None


def check_expression(text: str) -> None:
    """Raise ``TemplateProblem`` if ``text`` is not a valid expression."""
    try:
        _ENV.compile_expression(text)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateProblem(f"expression syntax error: {exc.message}") from None


def evaluate(expression: str, context: dict[str, Any]) -> Any:
    """The value of ``expression`` with ``context``'s names; errors are ``TemplateProblem``."""
    try:
        return _ENV.compile_expression(expression, undefined_to_none=False)(**context)
    except (jinja2.TemplateError, TypeError, ValueError) as exc:
        raise TemplateProblem(f"{expression!r}: {exc}") from None


def render_value(value: Any, context: dict[str, Any]) -> Any:
    """``value`` with every string rendered as a template (lists and mappings walked)."""
    if isinstance(value, str):
        if "{{" not in value and "{%" not in value:
            return value
        try:
            text = _ENV.from_string(value).render(**context)
        except (jinja2.TemplateError, TypeError, ValueError) as exc:
            raise TemplateProblem(f"{value!r}: {exc}") from None
        if len(text) > MAX_RENDERED:
            raise TemplateProblem(f"{value!r} renders to more than {MAX_RENDERED} characters")
        return text
    if isinstance(value, list | tuple):
        return [render_value(v, context) for v in value]
    if isinstance(value, dict):
        return {k: render_value(v, context) for k, v in value.items()}
    return value


def items_of(expression: str, context: dict[str, Any]) -> list[Any]:
    """The list a ``for_each`` expression gives (a single value is a list of one; None is empty)."""
    value = evaluate(expression, context)
    if value is None or isinstance(value, jinja2.Undefined):
        return []
    items = list(value) if isinstance(value, list | tuple | set) else [value]
    if len(items) > MAX_ITEMS:
        raise TemplateProblem(f"{expression!r} gives {len(items)} items; at most {MAX_ITEMS} run at once")
    return items


def incident_context(incident: dict[str, Any], observables: list[tuple[str, str]]) -> dict[str, Any]:
    """The names a playbook sees: ``incident`` (fields) and ``observables`` (values by type)."""
    by_type: dict[str, list[str]] = {t.value: [] for t in ObservableType}
    for kind, value in observables:
        by_type.setdefault(kind, []).append(value)
    return {"incident": incident, "observables": by_type}


SAMPLE_INCIDENT: dict[str, Any] = {
    "id": "00000000-0000-0000-0000-000000000000",
    "ref": "IR-2026-0001",
    "title": "Sample incident",
    "summary": "",
    "status": "confirmed",
    "category": "infected-system",
    "severity": "high",
    "priority": "P2",
    "tlp": "amber",
    "tags": ["sample"],
    "affected_assets": ["web01.example.org"],
    "assignee": "analyst",
}
SAMPLE_OBSERVABLES = [
    ("ipv4", "203.0.113.7"),
    ("domain", "evil.example.com"),
    ("hostname", "web01.example.org"),
    ("account", "jdoe"),
    ("sha256", "0" * 64),
]


def sample_context() -> dict[str, Any]:
    """A filled-in context to try a playbook's templates against when validating it."""
    return incident_context(dict(SAMPLE_INCIDENT), list(SAMPLE_OBSERVABLES))


def require_valid(problem: TemplateProblem, where: str) -> ValidationError:
    """A template problem met while running a playbook, as a validation error."""
    return ValidationError(f"{where}: {problem}", hint="fix the playbook with `ironwatch playbook validate`")
