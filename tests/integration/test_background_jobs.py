"""Background jobs run beside the API while it serves, survive a failing tick, and stop with it."""

from __future__ import annotations

import asyncio

from ironwatch.bootstrap import Runtime
from ironwatch.jobs import JobRunner, periodic


def test_periodic_job_keeps_running_after_a_failure(sqlite_runtime: Runtime) -> None:
    calls: list[int] = []

    def tick(_runtime: Runtime) -> None:
        calls.append(len(calls))
        if len(calls) == 1:
            raise RuntimeError("first tick fails")

    async def scenario() -> None:
        runner = JobRunner(sqlite_runtime, [periodic("probe", 0.01, tick)])
        runner.start()
        for _ in range(200):
            if len(calls) >= 3:
                break
            await asyncio.sleep(0.01)
        await runner.close(timeout=2)
        assert all(task.done() for task in runner.tasks)

    asyncio.run(scenario())
    assert len(calls) >= 3
