"""Per-group sliding windows on event time for one correlation rule, with bounded memory.

Each group (one combination of group-by values) keeps its entries sorted by event time. When a
condition has only lower bounds (``gt``/``gte``), it can be decided as soon as it holds: the
window ending at each new entry is checked (for a late entry, every window that contains it),
and a firing consumes the entries it counted, so the next firing needs new events. A condition
with an upper bound (``lt``/``lte``/``eq``/``neq``, a range) can only be decided when its
window is over: such groups use a window starting at their first entry, closed when a later
entry falls outside it or when the group has been idle (processing time) past the window's end.

Memory: at most ``max_groups`` groups per rule (least recently updated evicted first) and
``max_entries`` entries per group (oldest evicted first); entries older than the group's newest
minus the timespan and the allowed lateness are pruned on every add; groups idle in processing
time on every expiry pass, and groups whose window the event-time watermark has passed on every
tick. Every eviction and every dropped late entry is counted in :class:`WindowStats`.
"""

from __future__ import annotations

import bisect
import operator
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ironwatch.detect.correlation.spec import CorrelationSpec

_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
    "eq": operator.eq,
    "neq": operator.ne,
}
LOWER_BOUNDS = frozenset({"gt", "gte"})


@dataclass(frozen=True)
class CorrelationLimits:
    """Memory and lateness bounds shared by every correlation rule of a :class:`Correlator`."""

    max_groups: int = 10_000  # per correlation rule
    max_entries: int = 1_000  # per group
    lateness_seconds: float = 60.0  # how far behind its group's newest event an event may arrive


@dataclass
class WindowStats:
    """What the windows dropped to stay bounded, and how often they fired."""

    firings: int = 0
    evicted_groups: int = 0  # groups dropped because a rule had max_groups
    evicted_entries: int = 0  # entries dropped because a group had max_entries
    late_dropped: int = 0  # entries older than their group's window plus the allowed lateness
    expired_groups: int = 0  # idle groups removed
    missing_group_values: int = 0  # events lacking a group-by (or counted) field, not counted


@dataclass(slots=True)
class Entry:
    """One matched event (or one firing of a referenced correlation) inside a group."""

    time: float  # event time, epoch seconds
    seq: int  # arrival order, breaks ties between equal times
    event_ids: tuple[str, ...]
    rule: int  # position of the referenced rule in the correlation's ``rules``
    value: str | None = None  # the counted field's value (value_count)

    def key(self) -> tuple[float, int]:
        return (self.time, self.seq)


@dataclass(slots=True)
class Group:
    values: tuple[str, ...]
    entries: list[Entry] = field(default_factory=list)
    newest: float = float("-inf")
    last_received: float = 0.0  # processing time of the last entry
    opened_received: float = 0.0  # processing time the current window opened (upper-bound rules)


@dataclass(frozen=True)
class Firing:
    """A correlation rule's condition held for one group over one window."""

    values: tuple[str, ...]
    start: float
    end: float
    metric: int
    entries: tuple[Entry, ...]


def metric(spec: CorrelationSpec, entries: Sequence[Entry]) -> int:
    """The number the condition compares: events, distinct values, or referenced rules seen (in order)."""
    if spec.type == "event_count":
        return len(entries)
    if spec.type == "value_count":
        return len({entry.value for entry in entries if entry.value is not None})
    if spec.type == "temporal":
        return len({entry.rule for entry in entries})
    return _ordered_rules(entries)


def _ordered_rules(entries: Sequence[Entry]) -> int:
    """Longest run of distinct referenced rules seen in their declared order (entries sorted by time).

    A strictly increasing subsequence of rule positions, found in O(n log n) (patience sorting).
    """
    tails: list[int] = []
    for entry in entries:
        position = bisect.bisect_left(tails, entry.rule)
        if position == len(tails):
            tails.append(entry.rule)
        else:
            tails[position] = entry.rule
    return len(tails)


def holds(spec: CorrelationSpec, value: int) -> bool:
    """Whether every bound of the rule's condition holds for ``value``."""
    return all(_COMPARE[op](value, bound) for op, bound in spec.conditions)


class RuleWindows:
    """The groups of one correlation rule."""

    def __init__(self, spec: CorrelationSpec, limits: CorrelationLimits, stats: WindowStats) -> None:
        self.spec = spec
        self.span = float(spec.timespan_seconds)
        self._limits = limits
        self._stats = stats
        self._groups: OrderedDict[tuple[str, ...], Group] = OrderedDict()
        self._lower_only = all(op in LOWER_BOUNDS for op, _ in spec.conditions)
        self._seq = 0

    def __len__(self) -> int:
        return len(self._groups)

    def entry_count(self) -> int:
        return sum(len(group.entries) for group in self._groups.values())

    def add(
        self,
        values: tuple[str, ...],
        *,
        time: float,
        received: float,
        event_ids: tuple[str, ...],
        rule: int,
        value: str | None = None,
    ) -> list[Firing]:
        """Count one matched event for the group ``values``; the firings it completes."""
        group = self._group(values, received)
        horizon = group.newest - self.span - self._limits.lateness_seconds
        if time < horizon:
            self._stats.late_dropped += 1
            return []
        self._seq += 1
        entry = Entry(time, self._seq, event_ids, rule, value)
        in_order = time >= group.newest
        if not group.entries:
            group.opened_received = received
        bisect.insort(group.entries, entry, key=Entry.key)
        group.newest = max(group.newest, time)
        group.last_received = max(group.last_received, received)
        self._prune(group)
        if self._lower_only:
            firing = self._lower_bound_firing(group, entry, in_order)
            return [firing] if firing else []
        return self._close_passed_windows(group)

    def expire(self, now: float, *, watermark: float | None = None) -> list[Firing]:
        """Remove idle groups: no entry for the timespan plus lateness, in processing time (``now``).

        With ``watermark`` (a tick: the event time the stream has reached) every group is also
        checked against event time, so windows close after a replay has ended, and upper-bound
        rules decide the windows that are over.
        """
        firings: list[Firing] = []
        grace = self._limits.lateness_seconds
        while self._groups:
            group = next(iter(self._groups.values()))
            if group.last_received + self.span + grace > now:
                break
            self._groups.popitem(last=False)
            self._stats.expired_groups += 1
            if not self._lower_only:
                firings.extend(self._close(group, until=None))
        if watermark is None:
            return firings
        for values, group in list(self._groups.items()):
            if self._lower_only:
                over = group.newest + self.span + grace <= watermark
            else:
                start = group.entries[0].time if group.entries else group.newest
                processing_end = max(group.opened_received + self.span, group.last_received) + grace
                over = start + self.span + grace <= watermark or processing_end <= now
            if over:
                del self._groups[values]
                self._stats.expired_groups += 1
                if not self._lower_only:
                    firings.extend(self._close(group, until=None))
        return firings

    def _group(self, values: tuple[str, ...], received: float) -> Group:
        group = self._groups.get(values)
        if group is None:
            if len(self._groups) >= self._limits.max_groups:
                self._groups.popitem(last=False)
                self._stats.evicted_groups += 1
            group = self._groups[values] = Group(values, opened_received=received)
        else:
            self._groups.move_to_end(values)
        return group

    def _prune(self, group: Group) -> None:
        entries = group.entries
        if len(entries) > self._limits.max_entries:
            excess = len(entries) - self._limits.max_entries
            del entries[:excess]
            self._stats.evicted_entries += excess
        if self._lower_only:
            horizon = group.newest - self.span - self._limits.lateness_seconds
            cut = 0
            while cut < len(entries) and entries[cut].time < horizon:
                cut += 1
            del entries[:cut]

    def _window(self, group: Group, end: float) -> list[Entry]:
        times = [entry.time for entry in group.entries]
        low = bisect.bisect_left(times, end - self.span)
        high = bisect.bisect_right(times, end)
        return group.entries[low:high]

    def _lower_bound_firing(self, group: Group, entry: Entry, in_order: bool) -> Firing | None:
        if in_order:
            ends = [entry.time]
        else:  # a late entry may complete any window that contains it
            ends = sorted({e.time for e in group.entries if entry.time <= e.time <= entry.time + self.span})
        for end in ends:
            window = self._window(group, end)
            value = metric(self.spec, window)
            if holds(self.spec, value):
                used = {id(e) for e in window}
                group.entries = [e for e in group.entries if id(e) not in used]
                self._stats.firings += 1
                return Firing(group.values, window[0].time, end, value, tuple(window))
        return None

    def _close_passed_windows(self, group: Group) -> list[Firing]:
        """Upper-bound rules: close the group's window once an entry lies beyond its end."""
        firings: list[Firing] = []
        while group.entries and group.entries[-1].time > group.entries[0].time + self.span:
            firings.extend(self._close(group, until=group.entries[0].time + self.span))
            group.opened_received = group.last_received
        return firings

    def _close(self, group: Group, *, until: float | None) -> list[Firing]:
        if until is None:
            window, group.entries = group.entries, []
        else:
            cut = bisect.bisect_right([entry.time for entry in group.entries], until)
            window, group.entries = group.entries[:cut], group.entries[cut:]
        if not window:
            return []
        value = metric(self.spec, window)
        if not holds(self.spec, value):
            return []
        self._stats.firings += 1
        return [Firing(group.values, window[0].time, window[-1].time, value, tuple(window))]
