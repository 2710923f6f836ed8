"""The ironwatch Sigma engine and pySigma's SQLite backend agree on the Windows rules over real EVTX.

Differences allowed here are listed in docs/detection.md with the spec clause behind each.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ironwatch.detect.evtx_fields import iter_evtx_events
from ironwatch.detect.sigma import Engine, load_rules

from .sigma_sqlite_reference import SqliteReference

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
RULES = CORPUS / "sigma" / "rules" / "windows"
EVTX = CORPUS / "evtx"

# rule id -> why the two engines may disagree (mirrors docs/detection.md "Differences").
KNOWN_DIFFERENCES: dict[str, str] = {}

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not RULES.is_dir() or not EVTX.is_dir(), reason=f"public corpus not found at {CORPUS}"
    ),
]


def test_engine_matches_agree_with_sqlite_backend(tmp_path: Path) -> None:
    ruleset = load_rules(paths=[RULES], cache_dir=tmp_path / "cache")
    files = sorted(EVTX.rglob("*.evtx"))[::3]  # a third of the files keeps this under a minute
    events = [event for path in files for event in iter_evtx_events(path)]
    reference = SqliteReference(sorted(RULES.rglob("*.yml")), ruleset.rules)
    reference.load(events)
    expected = reference.matches()

    engine = Engine(ruleset)
    actual: dict[str, set[int]] = {}
    for index, event in enumerate(events):
        for match in engine.evaluate(event):
            actual.setdefault(match.rule_id, set()).add(index)

    titles = {rule.id: rule.title for rule in ruleset.rules}
    differing = {
        f"{titles[rule_id]} ({rule_id}): engine-only {sorted(actual.get(rule_id, set()) - rows)[:5]}, "
        f"sqlite-only {sorted(rows - actual.get(rule_id, set()))[:5]}"
        for rule_id in set(actual) | set(expected)
        if rule_id not in KNOWN_DIFFERENCES
        and rule_id not in reference.failed
        and actual.get(rule_id, set()) != (rows := expected.get(rule_id, set()))
    }
    assert not differing, "\n".join(sorted(differing))
    assert len(actual) >= 50, "too few rules matched for the comparison to mean anything"
    assert engine.stats.budget_overruns == 0
