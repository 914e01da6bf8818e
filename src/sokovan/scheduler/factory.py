"""Wiring the scheduler: every component of DESIGN §4, built from the configuration.

`build_scheduler` is the one place where the scheduler is assembled. It reads top to bottom
in dependency order: the repository and the edges to the world (hint store, event bus,
locks), the controller that records intents, the provisioner, the handlers and promotions,
the coordinator with its collaborators, and finally the orchestrator that drives it. Agents
are reached only through the launcher and terminator ports the caller passes in.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from sokovan.common.clock import Clock, SystemClock
from sokovan.common.errors import ConfigurationError
from sokovan.common.scheduling import ScheduleType
from sokovan.config import ManagerConfig
from sokovan.infra.events.base import EventProducer
from sokovan.infra.events.memory import InMemoryEventBus
from sokovan.infra.locks.base import LockFactory
from sokovan.infra.locks.memory import LocalLockFactory
from sokovan.infra.locks.postgres import PostgresAdvisoryLockFactory
from sokovan.infra.valkey_schedule.base import ValkeyScheduleClient
from sokovan.infra.valkey_schedule.memory import InMemoryValkeySchedule
from sokovan.repositories.scheduler import SchedulerRepository
from sokovan.scheduler.constants import status_timeouts
from sokovan.scheduler.coordinator import ScheduleCoordinator
from sokovan.scheduler.handlers.base import KernelLifecycleHandler, SessionLifecycleHandler
from sokovan.scheduler.handlers.kernel import SweepStaleKernelsKernelHandler
from sokovan.scheduler.handlers.lifecycle import (
    CheckPreconditionLifecycleHandler,
    DeprioritizeSessionsLifecycleHandler,
    ScheduleSessionsLifecycleHandler,
    StartSessionsLifecycleHandler,
    TerminateSessionsLifecycleHandler,
)
from sokovan.scheduler.handlers.maintenance import SweepSessionsLifecycleHandler
from sokovan.scheduler.hooks.registry import HookRegistry
from sokovan.scheduler.kernel.state_engine import KernelStateEngine
from sokovan.scheduler.launcher.base import SessionLauncherPort
from sokovan.scheduler.observer import MeteredScheduleRunner, SchedulerObserver
from sokovan.scheduler.orchestrator import SokovanOrchestrator
from sokovan.scheduler.post_processors import (
    CacheInvalidationPostProcessor,
    PostProcessor,
    ScheduleMarkingPostProcessor,
)
from sokovan.scheduler.promotion import PROMOTION_SPECS_WITH_FORCE_TERMINATION
from sokovan.scheduler.provisioner.allocators.base import Allocator
from sokovan.scheduler.provisioner.allocators.repository_allocator import RepositoryAllocator
from sokovan.scheduler.provisioner.provisioner import SessionProvisioner
from sokovan.scheduler.terminator.base import SessionTerminatorPort
from sokovan.scheduling_controller import SchedulingController

Cleanup = Callable[[], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class SchedulerComponents:
    """Everything `build_scheduler` wired, for the service that runs it and for callers."""

    repository: SchedulerRepository
    #: Records users' and deployments' intents and hints the scheduler.
    controller: SchedulingController
    #: Runs one ScheduleType over every scaling group (what the loops call).
    coordinator: ScheduleCoordinator
    #: The short (hinted) and long (periodic) loops over the coordinator.
    orchestrator: SokovanOrchestrator
    #: Schedule hints, pending queues, route health and kernel presence.
    valkey_schedule: ValkeyScheduleClient
    #: Where SchedulingBroadcastEvents go.
    event_bus: EventProducer
    kernel_state_engine: KernelStateEngine
    #: Releases what the factory created on the caller's behalf (the in-process event bus);
    #: run by `SchedulerService.stop`. What the caller passed in stays the caller's to close.
    cleanups: tuple[Cleanup, ...] = ()


def build_scheduler(
    config: ManagerConfig,
    engine: AsyncEngine,
    *,
    launcher: SessionLauncherPort,
    terminator: SessionTerminatorPort,
    clock: Clock | None = None,
    valkey_schedule: ValkeyScheduleClient | None = None,
    event_producer: EventProducer | None = None,
    allocator: Allocator | None = None,
    observer: SchedulerObserver | None = None,
) -> SchedulerComponents:
    """Wire the scheduler over `engine`; nothing runs until the orchestrator is started.

    `valkey_schedule` and `event_producer` default to the in-process hint store and event
    bus of the embedded mode; `allocator` (the provisioner's commit step) to the scheduler
    repository's `allocate_sessions`. Raises ConfigurationError for a lock backend the
    database cannot serve.
    """
    clock = clock or SystemClock()
    # The edges: the database, the hint store and the event bus.
    repository = SchedulerRepository(engine, clock)
    hints = valkey_schedule or InMemoryValkeySchedule(
        clock, presence_lifetime=timedelta(seconds=config.presence_lifetime)
    )
    event_bus, cleanups = _event_bus(event_producer)
    # The controller records intents; the coordinator's post-processors hint through it too.
    controller = SchedulingController(repository, hints, clock=clock)
    # Kernel moves hint the promotions that may now move their sessions.
    kernel_state_engine = KernelStateEngine(repository, hints=hints)
    # Placement commits through the allocator, which re-checks capacity under row locks.
    provisioner = SessionProvisioner(
        allocator or RepositoryAllocator(repository), hints, clock=clock, observer=observer
    )
    coordinator = ScheduleCoordinator(
        repository=repository,
        lifecycle_handlers=_lifecycle_handlers(repository, provisioner, launcher, terminator),
        kernel_handlers=_kernel_handlers(terminator),
        # Promotions need no handler code; promote-to-terminated forces TERMINATING sessions
        # to TERMINATED once they overstay the TERMINATING timeout, the grace period.
        promotion_specs=PROMOTION_SPECS_WITH_FORCE_TERMINATION,
        status_timeouts=status_timeouts(timedelta(seconds=config.terminating_grace_period)),
        lock_factory=lock_factory_for(config, engine),
        config=config,
        event_producer=event_bus,
        hook_registry=HookRegistry.default(clock, repository),
        kernel_state_engine=kernel_state_engine,
        post_processors=_post_processors(controller, repository),
        clock=clock,
    )
    orchestrator = SokovanOrchestrator(
        coordinator if observer is None else MeteredScheduleRunner(coordinator, observer),
        hints,
        short_interval=config.short_loop_interval,
        long_interval=config.long_loop_interval,
    )
    return SchedulerComponents(
        repository=repository,
        controller=controller,
        coordinator=coordinator,
        orchestrator=orchestrator,
        valkey_schedule=hints,
        event_bus=event_bus,
        kernel_state_engine=kernel_state_engine,
        cleanups=cleanups,
    )


def _event_bus(given: EventProducer | None) -> tuple[EventProducer, tuple[Cleanup, ...]]:
    """The caller's producer (the caller closes it), or an in-process bus the service closes."""
    if given is not None:
        return given, ()
    bus = InMemoryEventBus()
    return bus, (bus.close,)


def _lifecycle_handlers(
    repository: SchedulerRepository,
    provisioner: SessionProvisioner,
    launcher: SessionLauncherPort,
    terminator: SessionTerminatorPort,
) -> Mapping[ScheduleType, SessionLifecycleHandler]:
    """One handler per session step, each given only the ports it declares."""
    return {
        ScheduleType.SCHEDULE: ScheduleSessionsLifecycleHandler(repository, provisioner),
        ScheduleType.CHECK_PRECONDITION: CheckPreconditionLifecycleHandler(repository, launcher),
        ScheduleType.START: StartSessionsLifecycleHandler(repository, launcher),
        ScheduleType.TERMINATE: TerminateSessionsLifecycleHandler(repository, terminator),
        ScheduleType.DEPRIORITIZE: DeprioritizeSessionsLifecycleHandler(repository),
        ScheduleType.SWEEP: SweepSessionsLifecycleHandler(repository),
    }


def _post_processors(
    controller: SchedulingController, repository: SchedulerRepository
) -> list[PostProcessor]:
    """Hints for the next hop first (that is what makes a session fast), then cache freshness
    for the owners whose occupancy changed."""
    return [ScheduleMarkingPostProcessor(controller), CacheInvalidationPostProcessor(repository)]


def _kernel_handlers(
    terminator: SessionTerminatorPort,
) -> Mapping[ScheduleType, KernelLifecycleHandler]:
    return {ScheduleType.SWEEP_STALE_KERNELS: SweepStaleKernelsKernelHandler(terminator)}


def lock_factory_for(config: ManagerConfig, engine: AsyncEngine) -> LockFactory:
    """The configured lock backend; unset means advisory locks exactly when on PostgreSQL.

    Several managers can only share a PostgreSQL database, so in-process locks suffice on
    SQLite (the embedded mode), and PostgreSQL deployments get cluster-wide locks by default.
    """
    on_postgres = engine.dialect.name == "postgresql"
    backend = config.lock_backend or ("postgres" if on_postgres else "local")
    acquire_timeout = config.resolved_lock_acquire_timeout()
    if backend == "local":
        return LocalLockFactory(acquire_timeout)
    if not on_postgres:
        raise ConfigurationError(
            f"lock_backend 'postgres' needs a PostgreSQL database, not {engine.dialect.name}; "
            "set SOKOVAN_MANAGER__LOCK_BACKEND=local or leave it unset"
        )
    return PostgresAdvisoryLockFactory(engine, acquire_timeout)
