"""SchedulerService: the scheduler as the manager process starts and stops it."""

from __future__ import annotations

import logging

from sokovan.scheduler.factory import SchedulerComponents

log = logging.getLogger(__name__)


class SchedulerService:
    """Runs the orchestrator loops of `components` between `start` and `stop`.

    Both calls are idempotent. `stop` is final: it stops the loops (cancelling a run in
    progress, which the database's transactions make safe) and then releases what the
    factory created (the in-process event bus); a stopped service cannot start again, build
    new components instead. Stopping a service that never started releases those too.
    """

    def __init__(self, components: SchedulerComponents) -> None:
        self._components = components
        self._stopped = False

    @property
    def components(self) -> SchedulerComponents:
        return self._components

    @property
    def running(self) -> bool:
        return self._components.orchestrator.running

    async def start(self) -> None:
        """Start every ScheduleType's short and long loop; call from the running event loop.

        Each long loop runs its step at once, so work left by a previous process (or by a
        lost hint) is picked up right after start-up. Raises RuntimeError after `stop`.
        """
        if self._stopped:
            raise RuntimeError("the scheduler service was stopped; build new components")
        if self.running:
            return
        self._components.orchestrator.start()
        log.info("scheduler started")

    async def stop(self) -> None:
        """Stop the loops and wait for them to end, then release the owned resources."""
        if self._stopped:
            return
        self._stopped = True
        await self._components.orchestrator.stop()
        for cleanup in self._components.cleanups:
            try:
                await cleanup()
            except Exception:
                # Releasing one resource must not keep the others held.
                log.exception("releasing a scheduler resource failed")
        log.info("scheduler stopped")
