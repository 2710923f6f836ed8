"""Work ``serve`` runs in the background beside the API: schedulers, dispatchers, runners.

Each slice that needs a loop (SLA clocks, notification delivery, the action runner, expiring
blocks and indicators) adds a :class:`Job` to :func:`background_jobs`; the API lifespan starts
them all after the log server and stops them before it. A job's failure is logged and retried,
never fatal to the server. A periodic job runs its function in a worker thread, so a slow
database write does not stall the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ironwatch.detect.intel import jobs as intel_jobs
from ironwatch.notify.dispatch import deliver_due
from ironwatch.notify.escalation import escalate_due
from ironwatch.obligations import clocks as obligation_clocks
from ironwatch.respond.runner import ActionRunner
from ironwatch.triage.jobs import SLA_CHECK_SECONDS, sla_tick

if TYPE_CHECKING:
    from ironwatch.bootstrap import Runtime

log = logging.getLogger("ironwatch.jobs")


@dataclass(frozen=True)
class Job:
    """A named background loop: ``run(runtime, stop)`` returns when ``stop`` is set."""

    name: str
    run: Callable[[Runtime, asyncio.Event], Coroutine[object, object, None]]


def periodic(name: str, interval: float, tick: Callable[[Runtime], object]) -> Job:
    """A job calling ``tick(runtime)`` every ``interval`` seconds (first call at once)."""

    async def run(runtime: Runtime, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await asyncio.to_thread(tick, runtime)
            except Exception:
                log.exception("background job %s failed; it runs again in %.0f s", name, interval)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)

    return Job(name, run)


def background_jobs() -> list[Job]:
    """Every slice's background jobs (each slice adds its line here)."""
    return [
        periodic("obligation-clocks", obligation_clocks.INTERVAL_SECONDS, obligation_clocks.tick),
        periodic("intel-expiry", intel_jobs.EXPIRY_INTERVAL_SECONDS, intel_jobs.expire_tick),
        periodic("notify-dispatch", 5.0, deliver_due),
        periodic("notify-escalation", 15.0, escalate_due),
        periodic("respond.actions", 2.0, ActionRunner().tick),
        periodic("sla-clocks", SLA_CHECK_SECONDS, sla_tick),
    ]


class JobRunner:
    """Starts the jobs as tasks and stops them together."""

    def __init__(self, runtime: Runtime, jobs: list[Job]) -> None:
        self.runtime = runtime
        self.jobs = jobs
        self.stop = asyncio.Event()
        self.tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        for job in self.jobs:
            self.tasks.append(asyncio.create_task(job.run(self.runtime, self.stop), name=job.name))

    async def close(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109 (a grace period, not a deadline)
        self.stop.set()
        if not self.tasks:
            return
        done, pending = await asyncio.wait(self.tasks, timeout=timeout)
        for task in pending:
            log.warning("background job %s did not stop in %.0f s; cancelling it", task.get_name(), timeout)
            task.cancel()
        for task in done:
            if not task.cancelled() and task.exception() is not None:
                log.error("background job %s ended with %r", task.get_name(), task.exception())
