"""The rule set in force: every enabled, compiled rule from ``detection_rules``, cached by a digest.

Like ``plan.service.current_plan``: each rule write stores a digest of what is in force (rule ids,
text hashes, enabled flags, compile states); readers ask for that digest (one query) and get the
compiled rule set cached under it. The digest names the same rules in every process and
database, so nothing has to be invalidated, and a rule enabled with the CLI is in force in a
running ``serve`` the next time it looks (every couple of seconds).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace

from sqlalchemy import select

from ironwatch.core.canonical import canonical_json, sha256_hex
from ironwatch.core.errors import SourceLocation
from ironwatch.detect.correlation.spec import CorrelationSpec
from ironwatch.detect.sigma.compile_cache import COMPILER_VERSION
from ironwatch.detect.sigma.ir import RuleIR, from_plain
from ironwatch.detect.sigma.loader import RuleSet, compile_rule_file
from ironwatch.detect.sigma.report import LoadReport, RuleFailure, count_statuses
from ironwatch.store.tables import CompiledRuleRow, DetectionRuleRow, RuleSetVersionRow
from ironwatch.store.uow import UnitOfWork

log = logging.getLogger("ironwatch.detect")
EMPTY_DIGEST = sha256_hex(b"no rules")


@dataclass(frozen=True)
class ActiveRules:
    """The compiled rules in force under one digest, and counts for status and metrics."""

    digest: str
    version: int
    ruleset: RuleSet
    counts: dict[str, int] = field(default_factory=dict)
    #: ids and names of rules whose matches only feed correlations (Sigma ``generate: false``)
    correlation_only: frozenset[str] = frozenset()


def compute_digest(uow: UnitOfWork) -> str:
    """The digest of the rows as they are now (ids, text hashes, enabled flags, states)."""
    rows = uow.session.execute(
        select(DetectionRuleRow.rule_id, DetectionRuleRow.sha256, DetectionRuleRow.enabled)
        .add_columns(DetectionRuleRow.state)
        .order_by(DetectionRuleRow.rule_id)
    ).all()
    if not rows:
        return EMPTY_DIGEST
    return sha256_hex(canonical_json({"compiler": COMPILER_VERSION, "rules": [list(row) for row in rows]}))


def bump_rule_set(uow: UnitOfWork) -> int:
    """Record that the rule set changed (call after every rule write, in the same transaction)."""
    uow.flush()
    digest = compute_digest(uow)
    row = uow.session.get(RuleSetVersionRow, 1)
    if row is None:
        row = RuleSetVersionRow(id=1, version=0, digest=digest, changed_at=uow.clock.now())
        uow.session.add(row)
    row.version += 1
    row.digest = digest
    row.changed_at = uow.clock.now()
    uow.flush()
    return row.version


def rule_set_state(uow: UnitOfWork) -> tuple[int, str]:
    """``(version, digest)`` of the rule set in force; ``(0, EMPTY_DIGEST)`` before any rule was loaded."""
    row = uow.session.execute(
        select(RuleSetVersionRow.version, RuleSetVersionRow.digest).where(RuleSetVersionRow.id == 1)
    ).first()
    return (row[0], row[1]) if row else (0, EMPTY_DIGEST)


class _Cache:
    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[str, ActiveRules] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, digest: str) -> ActiveRules | None:
        with self._lock:
            found = self._items.get(digest)
            if found is not None:
                self._items.move_to_end(digest)
            return found

    def put(self, active: ActiveRules) -> None:
        with self._lock:
            self._items[active.digest] = active
            while len(self._items) > self._size:
                self._items.popitem(last=False)


_ACTIVE = _Cache(size=2)


def active_rules(uow: UnitOfWork) -> ActiveRules:
    """The enabled, compiled rules in force (no permission needed: detection itself reads them)."""
    version, digest = rule_set_state(uow)
    cached = _ACTIVE.get(digest)
    if cached is not None:
        # the digest names the rules; the version number is this database's
        return cached if cached.version == version else replace(cached, version=version)
    active = _build(uow, version, digest)
    _ACTIVE.put(active)
    return active


def _recompile(texts: dict[tuple[str, str], str]) -> tuple[dict[str, RuleIR], dict[str, CorrelationSpec]]:
    rules: dict[str, RuleIR] = {}
    specs: dict[str, CorrelationSpec] = {}
    for (path, _), text in texts.items():
        result = compile_rule_file(path, text)
        rules.update((rule.id, rule) for rule in result.rules)
        specs.update((spec.id, spec) for spec in result.correlations)
    return rules, specs


def _build(uow: UnitOfWork, version: int, digest: str) -> ActiveRules:
    session = uow.session
    rows = session.execute(
        select(
            DetectionRuleRow.id,
            DetectionRuleRow.rule_id,
            DetectionRuleRow.kind,
            DetectionRuleRow.state,
            DetectionRuleRow.enabled,
            DetectionRuleRow.source_path,
            DetectionRuleRow.sha256,
            DetectionRuleRow.line,
            DetectionRuleRow.error,
            CompiledRuleRow.compiler_version,
            CompiledRuleRow.compiled,
        )
        .outerjoin(CompiledRuleRow, CompiledRuleRow.rule_row_id == DetectionRuleRow.id)
        .order_by(DetectionRuleRow.source_path, DetectionRuleRow.line, DetectionRuleRow.rule_id)
    ).all()
    rules: list[RuleIR] = []
    pending: list[str] = []  # rule ids to recompile from text (correlations, stale compiled rules)
    failures: list[RuleFailure] = []
    counts = {"rules": len(rows), "compiled": 0, "failed": 0, "disabled": 0, "set_aside": 0}
    need_text: set[str] = set()
    for row in rows:
        if row.state == "failed":
            counts["failed"] += 1
            failures.append(RuleFailure(SourceLocation(row.source_path, row.line), row.error, row.rule_id))
            continue
        if row.state != "compiled":
            counts["set_aside"] += 1
            continue
        counts["compiled"] += 1
        if not row.enabled:
            counts["disabled"] += 1
            continue
        if row.kind == "detection" and row.compiled is not None and row.compiler_version == COMPILER_VERSION:
            try:
                rules.append(from_plain(row.compiled))
                continue
            except (ValueError, TypeError, KeyError):
                log.warning("compiled form of rule %s is unreadable; recompiling it", row.rule_id)
        pending.append(row.rule_id)
        need_text.add(row.id)
    correlations: list[CorrelationSpec] = []
    if pending:
        texts = {
            (path, digest_): text
            for path, digest_, text in session.execute(
                select(DetectionRuleRow.source_path, DetectionRuleRow.sha256, DetectionRuleRow.text).where(
                    DetectionRuleRow.id.in_(need_text)
                )
            )
        }
        fresh_rules, fresh_specs = _recompile(texts)
        for rule_id in pending:
            if rule_id in fresh_rules:
                rules.append(fresh_rules[rule_id])
            elif rule_id in fresh_specs:
                correlations.append(fresh_specs[rule_id])
    report = LoadReport(
        files=len({row.source_path for row in rows}),
        loaded=len(rules),
        failed=tuple(failures),
        deprecated=(),
        unsupported=(),
        correlations=len(correlations),
        by_status=count_statuses([rule.status for rule in rules]),
    )
    ruleset = RuleSet(tuple(rules), tuple(correlations), report, {rule.id: rule for rule in rules})
    counts["enabled"] = len(rules) + len(correlations)
    return ActiveRules(digest, version, ruleset, counts, _correlation_only(correlations))


def _correlation_only(correlations: list[CorrelationSpec]) -> frozenset[str]:
    """Rules referenced by correlations that do not ask for their own alerts (Sigma ``generate``).

    The Sigma correlation spec says referenced rules generate no output of their own unless a
    correlation referring to them sets ``generate: true``. (References are ids or names.)
    """
    quiet: set[str] = set()
    loud: set[str] = set()
    for spec in correlations:
        (loud if getattr(spec, "generate", False) else quiet).update(spec.rules)
    return frozenset(quiet - loud)
