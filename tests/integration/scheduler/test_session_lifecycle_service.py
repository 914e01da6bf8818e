"""The scheduler as the manager runs it: SchedulerService, live loops, the in-process hints.

The only scenario here with background loops. The long loops run once at start and then not
for a minute, so every hop after that is driven by hints alone: that is what makes a session
reach RUNNING a few milliseconds after its agent reports. Waits are on the scheduler's own
events (each broadcast after its transition committed), bounded by timeouts.
"""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncEngine

from integration.scheduler.fake_agent import (
    TERMINATE,
    add_cluster,
    assert_agent_occupancy_consistent,
    lifecycle_world,
)
from sokovan.common.clock import SystemClock
from sokovan.common.ids import SessionId
from sokovan.common.status import KernelStatus, SessionStatus
from sokovan.config import ManagerConfig
from sokovan.infra.events.memory import EventSubscription, InMemoryEventBus
from sokovan.scheduler.service import SchedulerService

P, K = SessionStatus, KernelStatus
#: Bound of every wait for a step that needs no agent report (only a failing test reaches it).
BOUND = 5.0
#: How soon after the agent's report the session must run.
PROMPTLY = 1.0
FAST_LOOPS = ManagerConfig(short_loop_interval=0.05, long_loop_interval=60.0)


class Transitions:
    """The session transitions broadcast on the event bus, consumed in order."""

    def __init__(self, subscription: EventSubscription) -> None:
        self._subscription = subscription
        self.seen: list[str] = []

    async def reach(self, session_id: SessionId, status: SessionStatus) -> None:
        """Until the session's transition to `status` is broadcast (bound it from outside)."""
        async for event in self._subscription:
            self.seen.append(event.status_transition)
            if (event.session_id, event.status_transition) == (session_id, status.value):
                return
        raise AssertionError(f"the event bus closed before {session_id} reached {status}")

    async def drain(self) -> list[str]:
        """Every transition, once the bus is closed."""
        self.seen.extend([event.status_transition async for event in self._subscription])
        return self.seen


async def test_service_runs_a_session_on_hints_promptly_after_its_agent_reports(
    db_engine: AsyncEngine,
) -> None:
    tenant = await add_cluster(db_engine)
    world = lifecycle_world(db_engine, SystemClock(), config=FAST_LOOPS)
    bus = world.components.event_bus
    assert isinstance(bus, InMemoryEventBus)
    transitions = Transitions(bus.subscribe())
    service = SchedulerService(world.components)
    await service.start()
    try:
        sid = await world.submit(tenant)
        async with asyncio.timeout(BOUND):
            await transitions.reach(sid, P.PREPARING)
        await world.agent.report_prepared(sid)
        async with asyncio.timeout(BOUND):
            await transitions.reach(sid, P.CREATING)

        reported = asyncio.get_running_loop().time()
        await world.agent.report_running(sid)
        async with asyncio.timeout(PROMPTLY):
            await transitions.reach(sid, P.RUNNING)
        took = asyncio.get_running_loop().time() - reported
        assert await world.state(sid) == (P.RUNNING, [K.RUNNING])

        await world.components.controller.mark_sessions_for_termination([sid])
        async with asyncio.timeout(BOUND):
            await world.agent.wait_for_call(TERMINATE, sid)
        await world.agent.report_terminated(sid)
        async with asyncio.timeout(BOUND):
            await transitions.reach(sid, P.TERMINATED)
    finally:
        await service.stop()

    assert took < PROMPTLY / 2, f"RUNNING {took:.3f}s after the agent reported"
    assert not service.running
    # The service closed the event bus, so draining the subscription ends.
    assert await transitions.drain() == [
        "SCHEDULED",
        "PREPARING",
        "PREPARED",
        "CREATING",
        "RUNNING",
        "TERMINATED",
    ]
    assert await world.state(sid) == (P.TERMINATED, [K.TERMINATED])
    await assert_agent_occupancy_consistent(db_engine)
