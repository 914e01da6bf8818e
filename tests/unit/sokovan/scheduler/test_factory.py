"""build_scheduler: the lock backend, the hint store and event bus, and the settings it reads.

No test here touches a database: engines are created (which does not connect) only for their
dialect, and behaviour is observed on the in-process components the factory builds.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine

from sokovan.common.clock import ManualClock
from sokovan.common.errors import AgentError, ConfigurationError
from sokovan.common.ids import KernelId, new_kernel_id
from sokovan.common.scheduling import ScheduleType, TransitionStatus
from sokovan.common.status import KernelStatus, SessionStatus
from sokovan.config import ManagerConfig, SokovanConfig
from sokovan.db.engine import create_engine
from sokovan.infra.events.memory import InMemoryEventBus
from sokovan.infra.locks.base import LockID
from sokovan.infra.locks.memory import LocalLockFactory
from sokovan.infra.locks.postgres import PostgresAdvisoryLockFactory
from sokovan.infra.valkey_schedule.base import KernelPresence
from sokovan.infra.valkey_schedule.memory import InMemoryValkeySchedule
from sokovan.repositories.scheduler.types import (
    ImageConfig,
    ImageIdentifier,
    KernelInfo,
    SessionDataForPull,
    SessionDataForStart,
    TerminatingSessionData,
)
from sokovan.scheduler.constants import STATUS_TIMEOUT_MAP, status_timeouts
from sokovan.scheduler.factory import SchedulerComponents, build_scheduler, lock_factory_for
from sokovan.scheduler.promotion import (
    PROMOTE_OR_FORCE_TERMINATED,
    PROMOTE_TO_TERMINATED,
    PROMOTION_SPECS,
    PROMOTION_SPECS_WITH_FORCE_TERMINATION,
)

LOCK = LockID.LOCKID_SOKOVAN_TARGET_PENDING
NOW = ManualClock().now()


class UnreachableAgents:
    """Launcher and terminator whose agents never answer (nothing here calls them)."""

    async def trigger_image_pulling(
        self,
        sessions: Sequence[SessionDataForPull],
        image_configs: Mapping[ImageIdentifier, ImageConfig],
    ) -> None:
        raise AgentError("unreachable")

    async def start_sessions_for_handler(
        self,
        sessions: Sequence[SessionDataForStart],
        image_configs: Mapping[ImageIdentifier, ImageConfig],
    ) -> None:
        raise AgentError("unreachable")

    async def terminate_sessions_for_handler(
        self, sessions: Sequence[TerminatingSessionData]
    ) -> None:
        raise AgentError("unreachable")

    async def check_stale_kernels(self, kernels: Sequence[KernelInfo]) -> list[KernelId]:
        raise AgentError("unreachable")


@pytest.fixture
async def sqlite_engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite:///{tmp_path / 'unused.db'}")
    yield engine
    await engine.dispose()


@pytest.fixture
async def postgres_engine() -> AsyncIterator[AsyncEngine]:
    engine = create_engine("postgresql://postgres@127.0.0.1:5432/unused")
    yield engine
    await engine.dispose()


def build(
    engine: AsyncEngine,
    config: ManagerConfig | None = None,
    *,
    clock: ManualClock | None = None,
    valkey_schedule: InMemoryValkeySchedule | None = None,
    event_producer: InMemoryEventBus | None = None,
) -> SchedulerComponents:
    agents = UnreachableAgents()
    return build_scheduler(
        config or ManagerConfig(),
        engine,
        launcher=agents,
        terminator=agents,
        clock=clock or ManualClock(NOW),
        valkey_schedule=valkey_schedule,
        event_producer=event_producer,
    )


# --- settings -----------------------------------------------------------------------------


def test_manager_defaults() -> None:
    config = ManagerConfig()
    assert (config.short_loop_interval, config.long_loop_interval) == (2.0, 30.0)
    assert (config.terminating_grace_period, config.presence_lifetime) == (600.0, 60.0)
    assert config.lock_backend is None
    assert config.resolved_lock_acquire_timeout() == config.session_schedule_lock_lifetime


@pytest.mark.parametrize(
    "field",
    [
        "short_loop_interval",
        "long_loop_interval",
        "terminating_grace_period",
        "presence_lifetime",
        "lock_acquire_timeout",
    ],
)
@pytest.mark.parametrize("value", [0, -1.5])
def test_durations_must_be_positive(field: str, value: float) -> None:
    with pytest.raises(ValidationError, match=field):
        ManagerConfig.model_validate({field: value})


def test_lock_backend_is_local_or_postgres() -> None:
    with pytest.raises(ValidationError, match="lock_backend"):
        ManagerConfig.model_validate({"lock_backend": "redis"})


def test_manager_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOKOVAN_MANAGER__TERMINATING_GRACE_PERIOD", "90")
    monkeypatch.setenv("SOKOVAN_MANAGER__LOCK_BACKEND", "local")
    manager = SokovanConfig().manager
    assert (manager.terminating_grace_period, manager.lock_backend) == (90.0, "local")


# --- locks --------------------------------------------------------------------------------


def test_unset_lock_backend_follows_the_database(
    sqlite_engine: AsyncEngine, postgres_engine: AsyncEngine
) -> None:
    assert isinstance(lock_factory_for(ManagerConfig(), sqlite_engine), LocalLockFactory)
    assert isinstance(
        lock_factory_for(ManagerConfig(), postgres_engine), PostgresAdvisoryLockFactory
    )


def test_local_locks_may_be_chosen_on_postgres(postgres_engine: AsyncEngine) -> None:
    config = ManagerConfig(lock_backend="local")
    assert isinstance(lock_factory_for(config, postgres_engine), LocalLockFactory)


def test_postgres_locks_on_sqlite_are_a_configuration_error(sqlite_engine: AsyncEngine) -> None:
    with pytest.raises(ConfigurationError, match="LOCK_BACKEND"):
        build(sqlite_engine, ManagerConfig(lock_backend="postgres"))


@pytest.mark.parametrize(
    "config",
    [
        ManagerConfig(lock_acquire_timeout=0.05),
        # Unset, the acquire timeout is the lock lifetime.
        ManagerConfig(session_schedule_lock_lifetime=0.05),
    ],
)
async def test_waiting_for_a_held_lock_is_bounded_by_the_acquire_timeout(
    config: ManagerConfig, sqlite_engine: AsyncEngine
) -> None:
    locks = lock_factory_for(config, sqlite_engine)
    async with locks(LOCK, 30.0):
        with pytest.raises(TimeoutError):
            async with locks(LOCK, 30.0):
                pass


# --- hint store and event bus -------------------------------------------------------------


async def test_in_process_hint_store_and_event_bus_by_default(sqlite_engine: AsyncEngine) -> None:
    components = build(sqlite_engine)
    assert isinstance(components.valkey_schedule, InMemoryValkeySchedule)
    bus = components.event_bus
    assert isinstance(bus, InMemoryEventBus)
    subscription = bus.subscribe()

    for cleanup in components.cleanups:
        await cleanup()

    assert [event async for event in subscription] == []  # closed by the cleanup


async def test_given_hint_store_and_event_producer_are_used_and_left_open(
    sqlite_engine: AsyncEngine,
) -> None:
    hints, bus = InMemoryValkeySchedule(), InMemoryEventBus()
    components = build(sqlite_engine, valkey_schedule=hints, event_producer=bus)
    assert (components.valkey_schedule, components.event_bus) == (hints, bus)
    assert components.cleanups == ()


async def test_controller_hints_reach_the_hint_store(sqlite_engine: AsyncEngine) -> None:
    components = build(sqlite_engine)
    await components.controller.mark_scheduling_needed(ScheduleType.START)
    assert await components.valkey_schedule.load_and_delete_schedule_mark(ScheduleType.START)


@pytest.mark.parametrize(
    ("lifetime", "seen"), [(60.0, KernelPresence.STALE), (120.0, KernelPresence.ALIVE)]
)
async def test_presence_lifetime_sets_when_a_report_goes_stale(
    sqlite_engine: AsyncEngine, lifetime: float, seen: KernelPresence
) -> None:
    clock = ManualClock(NOW)
    components = build(sqlite_engine, ManagerConfig(presence_lifetime=lifetime), clock=clock)
    kernel = new_kernel_id()
    await components.valkey_schedule.update_kernel_presence([kernel])
    clock.advance(timedelta(seconds=90))
    assert await components.valkey_schedule.check_kernel_presence([kernel]) == {kernel: seen}


# --- the force-termination rule the factory installs --------------------------------------


def test_force_termination_only_adds_an_expiry_to_promote_to_terminated() -> None:
    forced = TransitionStatus(SessionStatus.TERMINATED, KernelStatus.TERMINATED)
    assert replace(PROMOTE_TO_TERMINATED, expired=forced) == PROMOTE_OR_FORCE_TERMINATED
    assert PROMOTION_SPECS_WITH_FORCE_TERMINATION == {
        **PROMOTION_SPECS,
        ScheduleType.CHECK_TERMINATING_PROGRESS: PROMOTE_OR_FORCE_TERMINATED,
    }


def test_status_timeouts_add_the_terminating_grace_period() -> None:
    grace = timedelta(seconds=90)
    assert status_timeouts(grace) == {**STATUS_TIMEOUT_MAP, SessionStatus.TERMINATING: grace}
    assert SessionStatus.TERMINATING not in STATUS_TIMEOUT_MAP
