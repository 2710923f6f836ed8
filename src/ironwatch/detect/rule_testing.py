"""Check rules before they run: lint rule files, and explain a rule's verdict on sample events.

``rules test`` parses the events with the log server's own parsers (``ingest.parsers``), so a rule is
tested on exactly the fields ``serve`` would give it; NDJSON of flat events reads as JSON lines.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ironwatch.core.errors import ValidationError
from ironwatch.core.permissions import Permission
from ironwatch.detect.rule_catalog import get_rule
from ironwatch.detect.rule_records import records_for_file
from ironwatch.detect.schemas import (
    EventVerdictOut,
    ExplanationOut,
    LintOut,
    ProblemOut,
    RuleTestOut,
)
from ironwatch.detect.sigma.compile_cache import COMPILER_VERSION
from ironwatch.detect.sigma.engine import prepare_rule
from ironwatch.detect.sigma.explain import ExplainNode, explain_rule
from ironwatch.detect.sigma.ir import RuleIR, from_plain
from ironwatch.detect.sigma.loader import compile_rule_file
from ironwatch.ingest.event import Event, ParseFailure
from ironwatch.store.tables import CompiledRuleRow
from ironwatch.store.uow import UnitOfWork

#: most events one test explains (the rest are counted, not explained)
MAX_TEST_EVENTS = 10_000


def lint_sources(sources: Sequence[tuple[str, str]]) -> LintOut:
    """Compile rule files given as ``(path, text)`` without storing them: what would load, what fails."""
    out = LintOut(
        files=len(sources), compiled=0, failed=0, set_aside=0, correlations=0, problems=[], notes=[]
    )
    for path, text in sources:
        for record in records_for_file(path, text):
            problem = ProblemOut(
                path=path, line=record.line, rule_id=record.rule_id, title=record.title, reason=record.error
            )
            if record.state == "compiled":
                out.compiled += 1
                out.correlations += record.kind == "correlation"
                out.notes.extend(problem.model_copy(update={"reason": note}) for note in record.notes)
            elif record.state == "failed":
                out.failed += 1
                out.problems.append(problem)
            else:
                out.set_aside += 1
    return out


def lint_rules(uow: UnitOfWork, sources: Sequence[tuple[str, str]]) -> LintOut:
    """:func:`lint_sources` for a signed-in caller (needs ``rules:read``)."""
    uow.principal.require(Permission.RULES_READ)
    return lint_sources(sources)


def stored_rule_ir(uow: UnitOfWork, rule_id: str) -> RuleIR:
    """The compiled form of a stored detection rule (recompiled from its text when stale)."""
    row = get_rule(uow, rule_id)
    if row.kind != "detection" or row.state != "compiled":
        raise ValidationError(
            f"rule {rule_id} is a {row.kind} rule in state {row.state}; only compiled detection rules "
            "can be tested on single events",
            hint="test one of the rules it counts, or fix and load the rule again",
        )
    compiled = uow.session.get(CompiledRuleRow, row.id)
    if compiled is not None and compiled.compiler_version == COMPILER_VERSION:
        ir: RuleIR = from_plain(compiled.compiled)
        return ir
    for rule in compile_rule_file(row.source_path, row.text).rules:
        if rule.id == rule_id:
            return rule
    raise ValidationError(f"rule {rule_id} no longer compiles", hint="load the rule file again")


def rule_from_text(path: str, text: str) -> RuleIR:
    """The one detection rule in a rule file (for testing a file before loading it)."""
    result = compile_rule_file(path, text)
    if result.failures:
        raise ValidationError(
            f"{path}: the rule does not compile: {result.failures[0].reason}",
            hint="run `ironwatch rules lint FILE` for every problem",
        )
    if len(result.rules) != 1:
        raise ValidationError(
            f"{path} holds {len(result.rules)} detection rules; a test needs exactly one",
            hint="load the file and test one rule by its id",
        )
    return result.rules[0]


def _explanation(node: ExplainNode) -> ExplanationOut:
    return ExplanationOut(
        label=node.label,
        matched=node.matched,
        reason=node.reason,
        children=[_explanation(child) for child in node.children],
    )


def explain_on_events(rule: RuleIR, items: Iterable[Event | ParseFailure]) -> RuleTestOut:
    """Explain, event by event, why ``rule`` matches or not (the engine's own closures decide)."""
    tested = prepare_rule(rule).fields
    out = RuleTestOut(rule_id=rule.id, title=rule.title, events=0, matched=0, failures=0, verdicts=[])
    for item in items:
        if isinstance(item, ParseFailure):
            out.failures += 1
            continue
        out.events += 1
        node = explain_rule(rule, item.fields)
        out.matched += node.matched
        if len(out.verdicts) >= MAX_TEST_EVENTS:
            continue
        text = item.original if len(item.original) <= 100 else item.original[:97] + "..."
        out.verdicts.append(
            EventVerdictOut(
                index=out.events,
                event_id=item.id,
                matched=node.matched,
                summary=f"{item.dataset} {item.effective_time.isoformat()} {text}",
                explanation=_explanation(node),
                fields={name: item.fields[name] for name in tested if name in item.fields},
            )
        )
    return out


def explain_stored_rule(uow: UnitOfWork, rule_id: str, items: Iterable[Event | ParseFailure]) -> RuleTestOut:
    """:func:`explain_on_events` for a stored rule (needs ``rules:read``)."""
    uow.principal.require(Permission.RULES_READ)
    return explain_on_events(stored_rule_ir(uow, rule_id), items)
