"""Threat-intelligence matching in the event stream: the ``IntelMatcher`` detector.

``observe`` looks each event's addresses, domains, URLs, hashes and mailboxes up in an
:class:`IndicatorIndex` (no I/O); ``tick`` asks the feed whether the indicators changed (one
cheap query, at most every ``refresh_seconds``) and swaps in a freshly built index when they
did. An indicator matches only inside its validity window at the event's time, so a replay of
old logs is judged by what the feeds held valid when the events happened.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Mapping, Sequence
from datetime import datetime

from ironwatch.detect.intel.event_values import complete_url, field_kind, strings, sysmon_hashes
from ironwatch.detect.intel.index import IndicatorIndex, IndicatorRecord
from ironwatch.detect.intel.indicator import normalise_url
from ironwatch.detect.sigma.match import Match, dedup_key, extract_entities
from ironwatch.ingest.event import Event

log = logging.getLogger("ironwatch.detect.intel")
_UNKNOWN = "?"
#: field names whose kind the matcher remembers (names come from data, so their number is capped)
MAX_FIELD_NAMES = 10_000


def level_for(confidence: int) -> str:
    """Alert level from the feed's confidence: 80+ high, 50+ medium, 20+ low, else informational."""
    if confidence >= 80:
        return "high"
    if confidence >= 50:
        return "medium"
    if confidence >= 20:
        return "low"
    return "informational"


class IntelMatcher:
    """A detector matching events against the imported indicators.

    ``IntelMatcher(index)`` matches a fixed index; ``IntelMatcher(version=..., load=...)`` reloads
    from the store whenever ``version()`` changes (``detect.intel.feed.stored_feed``).
    """

    name = "intel"

    def __init__(
        self,
        index: IndicatorIndex | None = None,
        *,
        version: Callable[[], Hashable] | None = None,
        load: Callable[[], IndicatorIndex] | None = None,
        refresh_seconds: float = 5.0,
    ) -> None:
        self.index = index or IndicatorIndex()
        self._version_of = version
        self._load = load
        self._version: Hashable = None
        self._checked_at: datetime | None = None
        self.refresh_seconds = refresh_seconds
        self.matches = 0
        self.reloads = 0
        self._kinds: dict[str, str | None] = {}
        if index is None and version is not None and load is not None:
            self.refresh()

    def refresh(self) -> bool:
        """Reload the index if the feed's version changed; whether it did."""
        if self._version_of is None or self._load is None:
            return False
        current = self._version_of()
        if current == self._version:
            return False
        self.index = self._load()
        self._version = current
        self.reloads += 1
        log.info("threat intel: %d active indicators loaded", len(self.index))
        return True

    def tick(self, now: datetime) -> list[Match]:
        """Pick up new or expired indicators (checked at most every ``refresh_seconds``)."""
        if self._checked_at is None or (now - self._checked_at).total_seconds() >= self.refresh_seconds:
            self._checked_at = now
            try:
                self.refresh()
            except Exception:
                log.exception("threat intel: could not reload the indicators; matching the previous set")
        return []

    def observe(self, event: Event, sigma_matches: Sequence[Match]) -> list[Match]:
        """Matches for every indicator in force at the event's time that one of its fields names."""
        del sigma_matches
        index = self.index
        if not index.size:
            return []
        fields = event.fields
        kinds = self._kinds
        hits: dict[int, tuple[IndicatorRecord, str, str]] = {}
        for key, value in fields.items():
            kind = kinds.get(key, _UNKNOWN)
            if kind is _UNKNOWN:
                kind = self._classify(key)
            if kind is None or not index.looks_for(kind):
                continue
            for text in (value,) if type(value) is str else strings(value):
                if not text or text == "-":
                    continue
                if kind == "address":
                    found = index.match_address(text)
                elif kind == "domain":
                    found = index.match_domain(text)
                elif kind == "url":
                    self._match_url(index, text, key, fields, hits)
                    continue
                elif kind == "email":
                    found = index.exact_match("email", text.lower())
                elif kind == "sysmon":
                    for hash_kind, digest in sysmon_hashes(text):
                        for record in index.exact_match(hash_kind, digest):
                            hits.setdefault(record.id, (record, key, digest))
                    continue
                else:
                    found = index.exact_match(kind, text.lower())
                for record in found:
                    hits.setdefault(record.id, (record, key, text))
        if not hits:
            return []
        when = event.effective_time
        matches = [self._match(event, r, key, value) for r, key, value in hits.values() if r.valid_at(when)]
        self.matches += len(matches)
        return matches

    def _classify(self, key: str) -> str | None:
        kind = field_kind(key)
        if len(self._kinds) < MAX_FIELD_NAMES:  # field names from data: remember a bounded number
            self._kinds[key] = kind
        return kind

    @staticmethod
    def _match_url(
        index: IndicatorIndex,
        text: str,
        key: str,
        fields: Mapping[str, object],
        hits: dict[int, tuple[IndicatorRecord, str, str]],
    ) -> None:
        url = complete_url(text, fields)
        if url is None:
            return
        try:
            canonical = normalise_url(url)
        except ValueError:
            return
        for record in index.exact_match("url", canonical):
            hits.setdefault(record.id, (record, key, url))
        host = canonical.split("/", 3)[2].rsplit(":", 1)[0] if "://" in canonical else ""
        if host and not host.startswith("["):
            for record in index.match_domain(host):
                hits.setdefault(record.id, (record, key, url))

    @staticmethod
    def _match(event: Event, record: IndicatorRecord, key: str, value: str) -> Match:
        rule_id = f"intel:{record.type}"
        entities = extract_entities(event.fields)
        details: dict[str, object] = {
            "indicator": record.value,
            "type": record.type,
            "source": record.source,
            "confidence": record.confidence,
            "tlp": record.tlp,
            "description": record.description,
            "matched_field": key,
            "matched_value": value,
            "indicator_id": record.id,
        }
        if record.external_id:
            details["external_id"] = record.external_id
        return Match(
            rule_id=rule_id,
            title=f"Threat intel: {record.type} {record.value} from feed {record.source}",
            level=level_for(record.confidence),
            tags=("intel", f"intel.{record.source}"),
            fields={key: value},
            entities=entities,
            # one alert per indicator, feed and entities: a replay folds into the same alert
            dedup_key=dedup_key(f"{rule_id}:{record.source}:{record.value}", entities),
            timestamp=event.effective_time,
            kind="intel",
            event_ids=(event.id,),
            details=details,
        )
