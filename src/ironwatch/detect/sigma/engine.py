"""The Sigma detection engine: route each event to the few rules that can match, evaluate those.

Cost per event does not grow with the rule count: a routing key picks the rules whose log
source admits the event, one literal scan of the event's text keeps those whose required
literals occur, and only they run. A per-event time budget stops one pathological rule set
from stalling the pipeline; overruns are counted and the skipped rules reported.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass, field
from pathlib import Path

from ironwatch.core.errors import NotFoundError
from ironwatch.detect.sigma.codegen import compiled_rule_matcher
from ironwatch.detect.sigma.database_cache import DatabaseCache
from ironwatch.detect.sigma.event_view import EventView
from ironwatch.detect.sigma.explain import ExplainNode, explain_rule
from ironwatch.detect.sigma.ir import DetectionGroup, FieldItem, FieldRefTest, RuleIR
from ironwatch.detect.sigma.literals import Clauses, literal_sharing, rule_clauses
from ironwatch.detect.sigma.loader import RuleSet
from ironwatch.detect.sigma.logsource import route_admits
from ironwatch.detect.sigma.match import Match, build_match, extract_entities
from ironwatch.detect.sigma.matchers import Matcher, rule_matcher
from ironwatch.detect.sigma.prefilter import LiteralScanner, ScannerKind, default_scanner_kind
from ironwatch.detect.sigma.routing import (
    RoutePlan,
    RoutingKey,
    build_plan,
    plan_key,
    routing_key,
)

MAX_ROUTE_PLANS = 4096
MAX_REMEMBERED_HITS = 2048  # distinct literal-hit sets remembered per route plan
MAX_REMEMBERED_TOTAL = 32_768  # and over all plans (each holds a few hundred bytes to a few KB)
WARM_EVALUATIONS = 16  # evaluations of a rule through its closure tree before it is generated


@dataclass
class EngineStats:
    """Running counters, for metrics and the benchmark."""

    events: int = 0
    candidates: int = 0  # rules evaluated (after routing and the literal scan)
    matches: int = 0
    budget_overruns: int = 0  # events whose evaluation hit the budget
    skipped_by_budget: dict[str, int] = field(default_factory=dict)  # rule id -> times not evaluated


def _fields(group: FieldItem | DetectionGroup) -> list[str]:
    if isinstance(group, DetectionGroup):
        return [name for item in group.items for name in _fields(item)]
    names = [group.field] if group.field else []
    names.extend(test.other for test in group.tests if isinstance(test, FieldRefTest))
    return names


@dataclass(frozen=True)
class CompiledRule:
    ir: RuleIR
    clauses: Clauses  # required literals (CNF), most selective first; () = always evaluate
    fields: tuple[str, ...]


def prepare_rule(rule: RuleIR, shared: Mapping[str, int] | None = None) -> CompiledRule:
    """The prefilter literals and tested fields of one compiled rule (``shared``: literal_sharing).

    The rule's matcher is built by the engine on the rule's first evaluation (most rules of a
    large set are never a candidate on a given site's events).
    """
    names = dict.fromkeys(name for group in rule.detections.values() for name in _fields(group))
    return CompiledRule(rule, rule_clauses(rule, shared), tuple(names))


def build_matcher(rule: RuleIR) -> Matcher:
    """The rule's matcher: one generated function (see :mod:`ironwatch.detect.sigma.codegen`)."""
    return compiled_rule_matcher(rule.detections, rule.conditions)


class _Warming:
    """A rule's closure tree for its first evaluations; asks for the generated function after that.

    Generating and compiling a rule's function costs ~0.5 ms, the closure tree ~0.1 ms. Of the
    ~500 rules the corpus makes candidates, fewer than 100 are evaluated 16 times or more in its
    first pass, and they account for over 90 % of the evaluations: only those are worth generating.
    """

    __slots__ = ("_calls", "_closures", "_pending", "_position")

    def __init__(self, closures: Matcher, position: int, pending: list[int]) -> None:
        self._closures, self._position, self._pending = closures, position, pending
        self._calls = 0

    def __call__(self, view: EventView) -> bool:
        self._calls += 1
        if self._calls == WARM_EVALUATIONS:
            self._pending.append(self._position)  # replaced after the event, outside its budget
        return self._closures(view)


class Engine:
    """Evaluate Sigma rules against flat events.

    Example::

        engine = Engine(load_rules(paths=["rules/windows"]))
        for match in engine.evaluate({"EventID": 1, "Channel": "...", "Image": "C:\\\\x\\\\cmd.exe"}):
            print(match.title, match.entities)
    """

    def __init__(
        self,
        rules: RuleSet | Iterable[RuleIR],
        *,
        budget_seconds: float = 0.05,
        literal_scanner: ScannerKind | None = None,
        database_cache: DatabaseCache | Path | None = None,
    ) -> None:
        """``literal_scanner``: ``native``, ``hyperscan`` or ``aho-corasick`` (default: the fastest
        this install has, see :mod:`~ironwatch.detect.sigma.prefilter`); ``database_cache`` (a
        directory or a cache) keeps compiled Hyperscan databases across runs."""
        irs = rules.rules if isinstance(rules, RuleSet) else tuple(rules)
        shared = literal_sharing(irs)
        self._rules = tuple(prepare_rule(rule, shared) for rule in irs)
        self._matchers: list[Matcher | None] = [None] * len(self._rules)  # built on first use
        self._to_generate: list[int] = []  # rules warm enough for their generated function
        self._remembered = 0  # hit sets remembered over all plans
        self._index = {compiled.ir.id: position for position, compiled in enumerate(self._rules)}
        self._enabled = [True] * len(self._rules)
        self._routes = [compiled.ir.route for compiled in self._rules]
        self._clauses = [compiled.clauses for compiled in self._rules]
        # plans with the same literals (event ids only generic rules see) share one database
        self._scanners: dict[tuple[str, ...], LiteralScanner] = {}
        # rules by channel, so a plan looks only at rules its channel can admit
        self._any_channel: list[int] = []
        self._by_channel: dict[str, list[int]] = {}
        for position, route in enumerate(self._routes):
            if route.channels is None:
                self._any_channel.append(position)
            for channel in route.channels or ():
                self._by_channel.setdefault(channel, []).append(position)
        self._plans: dict[tuple[RoutingKey, str | None], RoutePlan] = {}
        # the same plans by the events' raw key values, to skip normalising them per event
        self._raw_plans: dict[tuple[object, ...], RoutePlan] = {}
        self._budget = budget_seconds
        self.literal_scanner: ScannerKind = literal_scanner or default_scanner_kind()
        self.database_cache = (
            DatabaseCache(database_cache) if isinstance(database_cache, Path) else database_cache
        )
        self.stats = EngineStats()

    @property
    def rules(self) -> tuple[RuleIR, ...]:
        return tuple(compiled.ir for compiled in self._rules)

    @property
    def route_plans(self) -> int:
        """How many route plans (one per routing key seen) are built and kept."""
        return len(self._plans)

    def set_enabled(self, rule_id: str, enabled: bool) -> None:
        """Enable or disable a rule by id; raises NotFoundError for an unknown id."""
        position = self._index.get(rule_id)
        if position is None:
            raise NotFoundError(f"no loaded rule has id {rule_id}", hint="list rules to see the loaded ids")
        if self._enabled[position] != enabled:
            self._enabled[position] = enabled
            self._drop_plans()

    def _drop_plans(self) -> None:
        """Forget every route plan (with its scanner and remembered candidates)."""
        self._plans.clear()
        self._scanners.clear()
        self._raw_plans.clear()
        self._remembered = 0

    def is_enabled(self, rule_id: str) -> bool:
        position = self._index.get(rule_id)
        return position is not None and self._enabled[position]

    def _plan(self, key: tuple[RoutingKey, str | None]) -> RoutePlan:
        plan = self._plans.get(key)
        if plan is None:
            channel = key[0][1]
            plan = build_plan(
                *key,
                self._routes,
                self._clauses,
                self._enabled,
                scanner_kind=self.literal_scanner,
                scanners=self._scanners,
                only=sorted(self._any_channel + self._by_channel.get(channel or "", [])),
                database_cache=self.database_cache,
            )
            if len(self._plans) >= MAX_ROUTE_PLANS:
                self._drop_plans()
            self._plans[key] = plan
        return plan

    def _event_plan(self, event: Mapping[str, object]) -> RoutePlan:
        get = event.get
        raw = (get("event.dataset"), get("Channel"), get("EventID"), get("Provider_Name"))
        try:
            return self._raw_plans[raw]
        except KeyError:
            if len(self._raw_plans) >= MAX_ROUTE_PLANS:
                self._raw_plans.clear()
            plan = self._raw_plans[raw] = self._plan(plan_key(event))
            return plan
        except TypeError:  # an unhashable value (a list): no shortcut
            return self._plan(plan_key(event))

    def candidates(self, event: Mapping[str, object]) -> list[int]:
        """Indices of the rules worth evaluating on ``event``, in load order."""
        return list(self._candidates(event))

    def _candidates(self, event: Mapping[str, object]) -> tuple[int, ...]:
        plan = self._event_plan(event)
        scanner = plan.scanner
        if scanner is None:
            return plan.always
        key = scanner.event_key(event)
        if not key:
            return plan.always
        # The same literals are found again and again (the same programs, paths and accounts):
        # the candidates for a set of hits are worked out once and remembered, per plan.
        remembered = plan.remembered
        chosen = remembered.get(key)
        if chosen is None:
            chosen = _choose(plan, scanner.key_hits(key))
            if len(remembered) >= MAX_REMEMBERED_HITS:
                self._remembered -= len(remembered)
                remembered.clear()
            if self._remembered >= MAX_REMEMBERED_TOTAL:
                self._forget_hits()
            remembered[key] = chosen
            self._remembered += 1
        return chosen

    def _forget_hits(self) -> None:
        """Drop every plan's remembered candidates (the total bound was reached)."""
        for plan in self._plans.values():
            plan.remembered.clear()
        self._remembered = 0

    def _matcher(self, position: int) -> Matcher:
        matcher = self._matchers[position]
        if matcher is None:
            ir = self._rules[position].ir
            closures = rule_matcher(ir.detections, ir.conditions)
            matcher = self._matchers[position] = _Warming(closures, position, self._to_generate)
        return matcher

    def evaluate(self, event: Mapping[str, object]) -> list[Match]:
        """The rules that match ``event``, in load order."""
        stats = self.stats
        stats.events += 1
        candidates = self._candidates(event)
        if not candidates:  # most events: nothing to evaluate, nothing to allocate
            return []
        view = EventView(event)
        matches: list[Match] = []
        clock = time.perf_counter
        deadline = clock() + self._budget
        rules, matchers = self._rules, self._matchers
        entities: dict[str, str] | None = None
        for done, position in enumerate(candidates):
            matcher = matchers[position]
            if matcher is None:  # first evaluation: building it is not the rule's running time
                started = clock()
                matcher = self._matcher(position)
                deadline += clock() - started
            if matcher(view):
                compiled = rules[position]
                ir = compiled.ir
                if entities is None:
                    entities = extract_entities(event)
                matches.append(
                    build_match(
                        rule_id=ir.id,
                        title=ir.title,
                        level=ir.level,
                        tags=ir.tags,
                        fields=compiled.fields,
                        event=event,
                        entities=entities,
                    )
                )
            if clock() > deadline and done + 1 < len(candidates):
                stats.budget_overruns += 1
                for skipped in candidates[done + 1 :]:
                    rule_id = rules[skipped].ir.id
                    stats.skipped_by_budget[rule_id] = stats.skipped_by_budget.get(rule_id, 0) + 1
                stats.candidates += done + 1
                break
        else:
            stats.candidates += len(candidates)
        stats.matches += len(matches)
        if self._to_generate:
            self._generate()
        return matches

    def _generate(self) -> None:
        """Replace the warm rules' closure trees with their generated functions."""
        for position in self._to_generate:
            self._matchers[position] = build_matcher(self._rules[position].ir)
        self._to_generate.clear()

    def evaluate_all(self, event: Mapping[str, object]) -> list[str]:
        """Brute force: ids of every enabled rule that matches, without routing or prefilter (for checks)."""
        view = EventView(event)
        key = routing_key(event)
        found = [
            compiled.ir.id
            for position, compiled in enumerate(self._rules)
            if self._enabled[position]
            and route_admits(compiled.ir.route, *key)
            and self._matcher(position)(view)
        ]
        if self._to_generate:
            self._generate()
        return found

    def explain(self, rule: str | RuleIR, event: Mapping[str, object]) -> ExplainNode:
        """Why ``rule`` (an id or a compiled rule) does or does not match ``event``."""
        if isinstance(rule, str):
            position = self._index.get(rule)
            if position is None:
                raise NotFoundError(f"no loaded rule has id {rule}", hint="list rules to see the loaded ids")
            rule = self._rules[position].ir
        return explain_rule(rule, event)


def _choose(plan: RoutePlan, hits: Set[int]) -> tuple[int, ...]:
    """The plan's rules triggered by ``hits`` whose other clauses hold too, with those always due."""
    chosen = set(plan.always)
    chosen.update(*map(plan.literal_rules.__getitem__, hits))  # one C-level call for all hits
    vetoes = plan.vetoes
    if vetoes:
        disjoint = hits.isdisjoint
        return tuple(
            sorted(index for index in chosen if index not in vetoes or not any(map(disjoint, vetoes[index])))
        )
    return tuple(sorted(chosen))
