"""SchedulerService: idempotent start and stop, final stop, release of owned resources.

The components come from `build_scheduler`, with the orchestrator driving a recording runner
instead of the coordinator, so nothing touches a database.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from sokovan.common.scheduling import ScheduleType
from sokovan.config import ManagerConfig
from sokovan.db.engine import create_engine
from sokovan.infra.events.memory import InMemoryEventBus
from sokovan.scheduler.factory import SchedulerComponents, build_scheduler
from sokovan.scheduler.orchestrator import SokovanOrchestrator
from sokovan.scheduler.service import SchedulerService
from unit.sokovan.scheduler.test_factory import UnreachableAgents

BOUND = 5.0
NEVER = 3600.0


@dataclass
class Runs:
    """Records the schedule types the orchestrator runs."""

    seen: set[ScheduleType] = field(default_factory=set)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def process_lifecycle_schedule(self, schedule_type: ScheduleType) -> bool:
        self.seen.add(schedule_type)
        self.changed.set()
        return True

    async def wait_for_all(self) -> None:
        async with asyncio.timeout(BOUND):
            while self.seen != set(ScheduleType):
                self.changed.clear()
                await self.changed.wait()


@dataclass
class Releases:
    count: int = 0

    async def release(self) -> None:
        self.count += 1


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite:///{tmp_path / 'unused.db'}")
    yield engine
    await engine.dispose()


@pytest.fixture
def built(engine: AsyncEngine) -> SchedulerComponents:
    agents = UnreachableAgents()
    return build_scheduler(ManagerConfig(), engine, launcher=agents, terminator=agents)


def with_runner(components: SchedulerComponents, runs: Runs) -> SchedulerComponents:
    orchestrator = SokovanOrchestrator(
        runs, components.valkey_schedule, short_interval=NEVER, long_interval=NEVER
    )
    return replace(components, orchestrator=orchestrator)


async def test_start_runs_every_schedule_type_and_is_idempotent(
    built: SchedulerComponents,
) -> None:
    runs = Runs()
    service = SchedulerService(with_runner(built, runs))

    await service.start()
    await service.start()

    await runs.wait_for_all()
    assert service.running
    await service.stop()


async def test_stop_ends_the_loops_and_releases_once(built: SchedulerComponents) -> None:
    releases = Releases()
    components = replace(with_runner(built, Runs()), cleanups=(releases.release,))
    service = SchedulerService(components)
    await service.start()

    await service.stop()
    await service.stop()

    assert not service.running
    assert releases.count == 1


async def test_stop_closes_the_event_bus_the_factory_created(built: SchedulerComponents) -> None:
    bus = built.event_bus
    assert isinstance(bus, InMemoryEventBus)
    subscription = bus.subscribe()
    service = SchedulerService(with_runner(built, Runs()))
    await service.start()

    await service.stop()

    assert [event async for event in subscription] == []


async def test_stop_before_start_still_releases(built: SchedulerComponents) -> None:
    releases = Releases()
    service = SchedulerService(replace(built, cleanups=(releases.release,)))

    await service.stop()

    assert releases.count == 1
    assert not service.running


async def test_a_stopped_service_cannot_start_again(built: SchedulerComponents) -> None:
    service = SchedulerService(with_runner(built, Runs()))
    await service.start()
    await service.stop()

    with pytest.raises(RuntimeError, match="stopped"):
        await service.start()
    assert not service.running


async def test_a_failing_release_is_logged_and_the_others_still_run(
    built: SchedulerComponents, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken() -> None:
        raise OSError("socket already gone")

    releases = Releases()
    service = SchedulerService(replace(built, cleanups=(broken, releases.release)))

    with caplog.at_level(logging.ERROR, logger="sokovan.scheduler.service"):
        await service.stop()

    assert releases.count == 1
    assert "releasing a scheduler resource failed" in caplog.text
