"""Load Sigma rule files and SigmaHQ-style directories into a compiled :class:`RuleSet`.

Every file and rule is accounted for in the :class:`LoadReport`: compiled, failed (with file,
line where pySigma gives it, and reason), set aside as deprecated or unsupported, or handed
to correlation. Compiled rules can be cached per file (JSON, keyed by content and options),
because parsing YAML with pySigma dominates load time.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sigma.collection import SigmaCollection
from sigma.correlations import SigmaCorrelationRule
from sigma.exceptions import SigmaError, SigmaRegularExpressionError, SigmaRuleLocation
from sigma.modifiers import SigmaWideModifier, modifier_mapping
from sigma.processing.pipeline import ProcessingPipeline
from sigma.rule import SigmaRule

from ironwatch.core.errors import SourceLocation, ValidationError
from ironwatch.detect.correlation.spec import CorrelationSpec, correlation_spec, lift_range_condition
from ironwatch.detect.sigma.compile_cache import CompileCache, FileResult
from ironwatch.detect.sigma.compiler import compile_rule
from ironwatch.detect.sigma.ir import RuleIR
from ironwatch.detect.sigma.logsource import LogsourceMap
from ironwatch.detect.sigma.parallel_compile import compile_files, worker_count
from ironwatch.detect.sigma.report import LoadReport, RuleFailure, RuleNote, count_statuses

RULE_SUFFIXES = (".yml", ".yaml")


# libyaml's C loader when PyYAML was built with it: YAML parsing is most of a cold load, and the
# pure-Python SafeLoader is ~8x slower. Both build the same safe types.
_YAML_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml_documents(text: str) -> list[Any]:
    """Every YAML document in ``text`` (safe types only); raises ``yaml.YAMLError`` on bad YAML."""
    return list(yaml.load_all(text, Loader=_YAML_LOADER))


def _register_spec_aliases() -> None:
    """The Sigma spec names ``utf16le`` as an alias of ``wide``; pySigma 2.0 only knows ``wide``."""
    modifier_mapping.setdefault("utf16le", SigmaWideModifier)


@dataclass(frozen=True)
class RuleSet:
    """Compiled detection rules, correlation rules, and the report of how loading went."""

    rules: tuple[RuleIR, ...]
    correlations: tuple[CorrelationSpec, ...]
    report: LoadReport
    by_id: dict[str, RuleIR] = field(default_factory=dict, hash=False)


def _rule_files(paths: Sequence[str | Path]) -> list[Path]:
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.suffix in RULE_SUFFIXES and p.is_file()))
        elif path.is_file():
            files.append(path)
        else:
            raise ValidationError(f"rule path {path} does not exist", hint="give a rule file or a directory")
    return files


def _reason(error: SigmaError) -> str:
    if isinstance(error, SigmaRegularExpressionError):
        return f"{error} (RE2 cannot run this regex: rewrite it without backreferences or lookaround)"
    return str(error)


def _error_location(error: SigmaError, file: str) -> SourceLocation:
    source = getattr(error, "source", None)
    return SourceLocation(file, getattr(source, "line", None) if source is not None else None)


def _compile_file(
    path: Path,
    text: str,
    *,
    placeholders: Mapping[str, Sequence[str]],
    logsources: LogsourceMap,
    pipeline: ProcessingPipeline | None,
) -> FileResult:
    file = str(path)
    result = FileResult()
    try:
        documents = [lift_range_condition(document) for document in load_yaml_documents(text)]
        collection = SigmaCollection.from_dicts(
            documents, collect_errors=True, source=SigmaRuleLocation(path), resolve_references=False
        )
    except (yaml.YAMLError, SigmaError, ValueError, TypeError) as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        result.failures.append(
            RuleFailure(
                SourceLocation(file, line + 1 if line is not None else None), f"cannot parse rule file: {exc}"
            )
        )
        return result
    per_rule = {id(error) for rule in collection.rules for error in rule.errors}
    for error in collection.errors:  # pySigma repeats rule errors here; keep only file-level ones
        if id(error) not in per_rule:
            result.failures.append(RuleFailure(_error_location(error, file), _reason(error)))
    for rule in collection.rules:
        location = SourceLocation(file, rule.source.line if rule.source else None)
        rule_id, title = (str(rule.id) if rule.id else None), rule.title
        status = rule.status.name.lower() if rule.status else "unknown"
        if rule.errors:
            reasons = "; ".join(_reason(error) for error in rule.errors)
            result.failures.append(RuleFailure(location, reasons, rule_id, title))
        elif status == "deprecated":
            result.deprecated.append(location)
        elif status == "unsupported":
            result.unsupported.append(location)
        elif isinstance(rule, SigmaCorrelationRule):
            try:
                result.correlations.append(correlation_spec(rule, file=file))
            except ValidationError as exc:
                result.failures.append(RuleFailure(exc.location or location, exc.message, rule_id, title))
        elif isinstance(rule, SigmaRule):
            try:
                if pipeline is not None:
                    pipeline.apply(rule)
                result.rules.append(
                    compile_rule(rule, file=file, placeholders=placeholders, logsources=logsources)
                )
            except ValidationError as exc:
                reason = exc.message + (f" ({exc.hint})" if exc.hint else "")
                result.failures.append(RuleFailure(exc.location or location, reason, rule_id, title))
            except SigmaError as exc:
                result.failures.append(RuleFailure(location, str(exc), rule_id, title))
    return result


def rule_files(paths: Sequence[str | Path]) -> list[Path]:
    """The rule files under ``paths`` (directories searched for ``*.yml``/``*.yaml``, sorted)."""
    return _rule_files(paths)


def compile_rule_file(
    path: str | Path,
    text: str,
    *,
    placeholders: Mapping[str, Sequence[str]] | None = None,
    logsources: LogsourceMap | None = None,
    pipeline: ProcessingPipeline | None = None,
) -> FileResult:
    """Compile one rule file's text (named ``path`` in every location): rules, correlations, failures.

    For callers that keep rule text elsewhere (the database) and compile it file by file.
    """
    _register_spec_aliases()
    return _compile_file(
        Path(path),
        text,
        placeholders=placeholders or {},
        logsources=logsources or LogsourceMap(),
        pipeline=pipeline,
    )


def load_rules(
    *,
    paths: Sequence[str | Path],
    placeholders: Mapping[str, Sequence[str]] | None = None,
    logsources: LogsourceMap | None = None,
    pipeline: ProcessingPipeline | None = None,
    cache_dir: str | Path | None = None,
    workers: int | None = None,
) -> RuleSet:
    """Load every rule under ``paths`` (files or directories, searched for ``*.yml``/``*.yaml``).

    ``placeholders`` fills ``|expand`` placeholders (``{"admins": ["alice", "bob"]}``);
    ``pipeline`` is an optional pySigma processing pipeline applied to each rule (field renames);
    ``cache_dir`` keeps compiled rules per file so the next load skips YAML parsing (not used
    with a pipeline, whose effect cannot be fingerprinted). Files missing from the cache are
    compiled on ``workers`` processes (default: one per available CPU when there are at least
    200 files per worker, else in this process; always in this process with a pipeline); the
    result is the same either way.
    """
    started = time.perf_counter()
    _register_spec_aliases()
    placeholders = placeholders or {}
    logsources = logsources or LogsourceMap()
    cache = (
        CompileCache(Path(cache_dir), placeholders, logsources) if cache_dir and pipeline is None else None
    )
    files = _rule_files(paths)
    outcomes: list[FileResult] = []  # one per file, in file order
    misses: list[tuple[int, bytes]] = []  # (position, content) of the files to compile
    jobs: list[tuple[str, str]] = []
    cached = 0
    for path in files:
        try:
            data = path.read_bytes()
            text = data.decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            failure = RuleFailure(SourceLocation(str(path)), f"cannot read rule file: {exc}")
            outcomes.append(FileResult(failures=[failure]))
            continue
        result = cache.get(path, data) if cache else None
        if result is None:
            misses.append((len(outcomes), data))
            jobs.append((str(path), text))
            outcomes.append(FileResult())  # replaced below
        else:
            cached += 1
            outcomes.append(result)
    compile_one = functools.partial(
        compile_rule_file, placeholders=placeholders, logsources=logsources, pipeline=pipeline
    )
    count = 1 if pipeline is not None else worker_count(len(jobs), workers)
    for (position, data), result in zip(misses, compile_files(jobs, compile_one, workers=count), strict=True):
        outcomes[position] = result
        if cache:
            cache.put(files[position], data, result)
    rules: list[RuleIR] = [rule for result in outcomes for rule in result.rules]
    correlations: list[CorrelationSpec] = [spec for result in outcomes for spec in result.correlations]
    failures = [failure for result in outcomes for failure in result.failures]
    deprecated = [location for result in outcomes for location in result.deprecated]
    unsupported = [location for result in outcomes for location in result.unsupported]
    notes = tuple(
        RuleNote(SourceLocation(rule.file, rule.line), rule.id, note) for rule in rules for note in rule.notes
    )
    report = LoadReport(
        files=len(files),
        loaded=len(rules),
        failed=tuple(failures),
        deprecated=tuple(deprecated),
        unsupported=tuple(unsupported),
        correlations=len(correlations),
        by_status=count_statuses([rule.status for rule in rules]),
        notes=notes,
        cached_files=cached,
        seconds=time.perf_counter() - started,
    )
    return RuleSet(tuple(rules), tuple(correlations), report, {rule.id: rule for rule in rules})
