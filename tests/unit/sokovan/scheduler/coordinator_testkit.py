"""Recording fakes and builders for the coordinator's unit tests.

Every fake records its calls as plain tuples, so a test asserts exactly what the seed
verifies ("called once with …") without a database or mocks of SQL.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from sokovan.common.clock import ManualClock
from sokovan.common.ids import AccessKey, AgentId, GroupId, KernelId, SessionId, UserId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.scheduling import (
    ClusterMode,
    ScheduleType,
    SchedulingResult,
    SessionType,
    StatusTransitions,
)
from sokovan.common.status import KernelStatus, SessionResult, SessionStatus
from sokovan.config import ManagerConfig
from sokovan.infra.locks.base import LockID
from sokovan.repositories.scheduler.conditions import (
    ByKernelMatch,
    BySessionIds,
    KernelQuerier,
    SessionQuerier,
)
from sokovan.repositories.scheduler.types import (
    KernelInfo,
    KernelSearchResult,
    SchedulingHistoryRecord,
    SessionInfo,
    SessionWithKernels,
)
from sokovan.repositories.scheduler.write_specs import (
    SchedulingHistoryCreator,
    SessionStatusUpdater,
)
from sokovan.scheduler.coordinator import ScheduleCoordinator
from sokovan.scheduler.handlers.base import HandlerSpec, SessionLifecycleHandler
from sokovan.scheduler.hooks.registry import HookRegistry
from sokovan.scheduler.post_processors.base import PostProcessContext
from sokovan.scheduler.promotion import PromotionSpec
from sokovan.scheduler.results import SessionExecutionResult, SessionTransitionInfo

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def session_info(
    status: SessionStatus = SessionStatus.PENDING,
    *,
    session_id: SessionId | None = None,
    access_key: str = "AK1",
    scaling_group: str = "default",
    status_changed: datetime = NOW,
) -> SessionInfo:
    sid = session_id or SessionId(uuid.uuid4())
    return SessionInfo(
        session_id=sid,
        creation_id=f"c-{sid.hex[:8]}",
        name=f"s-{sid.hex[:8]}",
        session_type=SessionType.INTERACTIVE,
        priority=10,
        cluster_mode=ClusterMode.SINGLE_NODE,
        cluster_size=1,
        domain_name="default",
        group_id=GroupId(uuid.uuid4()),
        user_id=UserId(uuid.uuid4()),
        access_key=AccessKey(access_key),
        scaling_group=scaling_group,
        status=status,
        status_info=None,
        status_changed=status_changed,
        result=SessionResult.UNDEFINED,
        requested_slots=ResourceSlot({"cpu": 1}),
        occupying_slots=ResourceSlot(),
        designated_agent_ids=None,
        starts_at=None,
        created_at=status_changed,
    )


def kernel_info(
    session_id: SessionId, status: KernelStatus = KernelStatus.RUNNING, *, reason: str | None = None
) -> KernelInfo:
    return KernelInfo(
        kernel_id=KernelId(uuid.uuid4()),
        session_id=session_id,
        access_key=AccessKey("AK1"),
        scaling_group="default",
        agent_id=AgentId("agent-1"),
        agent_addr="http://agent-1",
        container_id="c1",
        cluster_role="main",
        cluster_idx=1,
        local_rank=0,
        cluster_hostname="main1",
        image="python:3.11",
        architecture="x86_64",
        requested_slots=ResourceSlot({"cpu": 1}),
        occupied_slots=ResourceSlot({"cpu": 1}),
        status=status,
        status_info=reason,
        status_changed=NOW,
        exit_code=None,
    )


def session(
    status: SessionStatus = SessionStatus.PENDING,
    *,
    phase_attempts: int = 0,
    phase_started_at: datetime | None = None,
    **info: Any,
) -> SessionWithKernels:
    described = session_info(status, **info)
    kernel = kernel_info(described.session_id, KernelStatus.PENDING)
    return SessionWithKernels(described, (kernel,), phase_attempts, phase_started_at)


def failure(of: SessionWithKernels, reason: str = "failed") -> SessionTransitionInfo:
    return SessionTransitionInfo.of(of, reason)


def history(
    session_id: SessionId, phase: str, attempts: int, created_at: datetime = NOW
) -> SchedulingHistoryRecord:
    return SchedulingHistoryRecord(
        id=uuid.uuid4(),
        session_id=session_id,
        phase=phase,
        from_status=SessionStatus.PENDING,
        to_status=SessionStatus.PENDING,
        result=SchedulingResult.NEED_RETRY,
        error_code=None,
        message="",
        attempts=attempts,
        created_at=created_at,
        updated_at=created_at,
    )


@dataclass
class FakeRepository:
    """Answers with what the test configured and records every call."""

    scaling_groups: list[str] = field(default_factory=lambda: ["default"])
    sessions: dict[str, list[SessionWithKernels]] = field(default_factory=dict)
    #: Answers to search_sessions_for_handler: with a kernel match (promotion), by ids
    #: (read-back after a partly applied update), otherwise (promotion candidates).
    promoted: list[SessionInfo] = field(default_factory=list)
    arrived: list[SessionInfo] = field(default_factory=list)
    candidates: list[SessionInfo] = field(default_factory=list)
    kernels: list[KernelInfo] = field(default_factory=list)
    histories: dict[SessionId, SchedulingHistoryRecord] = field(default_factory=dict)
    #: What update_with_history returns; None: the number of changes (all applied).
    update_count: int | None = None
    #: Scaling groups whose session query raises.
    failing_groups: dict[str, Exception] = field(default_factory=dict)
    calls: list[tuple[str, Any]] = field(default_factory=list)

    def called(self, name: str) -> list[Any]:
        return [argument for method, argument in self.calls if method == name]

    async def get_schedulable_scaling_groups(self) -> list[str]:
        self.calls.append(("get_schedulable_scaling_groups", None))
        return list(self.scaling_groups)

    async def search_sessions_with_kernels_for_handler(
        self, querier: SessionQuerier
    ) -> list[SessionWithKernels]:
        self.calls.append(("search_sessions_with_kernels_for_handler", querier))
        group = next(
            (c.scaling_group for c in querier.conditions if hasattr(c, "scaling_group")), None
        )
        if group in self.failing_groups:
            raise self.failing_groups[group]
        if group is not None:
            return list(self.sessions.get(group, []))
        wanted = next(c.session_ids for c in querier.conditions if hasattr(c, "session_ids"))
        everyone = [s for group_sessions in self.sessions.values() for s in group_sessions]
        return [s for s in everyone if s.session_id in wanted]

    async def search_sessions_for_handler(self, querier: SessionQuerier) -> list[SessionInfo]:
        self.calls.append(("search_sessions_for_handler", querier))
        kinds = {type(condition) for condition in querier.conditions}
        if ByKernelMatch in kinds:
            return list(self.promoted)
        if BySessionIds in kinds:
            return list(self.arrived)
        return list(self.candidates)

    async def search_kernels_for_handler(self, querier: KernelQuerier) -> KernelSearchResult:
        self.calls.append(("search_kernels_for_handler", querier))
        return KernelSearchResult(list(self.kernels))

    async def get_last_session_histories(
        self, session_ids: Sequence[SessionId]
    ) -> dict[SessionId, SchedulingHistoryRecord]:
        self.calls.append(("get_last_session_histories", list(session_ids)))
        return {sid: self.histories[sid] for sid in session_ids if sid in self.histories}

    async def update_with_history(
        self, updater: SessionStatusUpdater, creator: SchedulingHistoryCreator
    ) -> int:
        self.calls.append(("update_with_history", (updater, creator)))
        return len(updater.changes) if self.update_count is None else self.update_count

    async def create_scheduling_history(self, creator: SchedulingHistoryCreator) -> None:
        self.calls.append(("create_scheduling_history", creator))


@dataclass
class FakeKernelStateEngine:
    resets: list[tuple[list[SessionId], str]] = field(default_factory=list)
    terminated: list[tuple[KernelId, str]] = field(default_factory=list)

    async def reset_kernels_to_pending_for_sessions(
        self, session_ids: Sequence[SessionId], reason: str
    ) -> int:
        self.resets.append((list(session_ids), reason))
        return len(session_ids)

    async def mark_kernel_terminated(self, kernel_id: KernelId, reason: str) -> bool:
        self.terminated.append((kernel_id, reason))
        return True


@dataclass
class RecordingEventProducer:
    batches: list[list[Any]] = field(default_factory=list)

    async def broadcast_event(self, event: Any) -> None:
        self.batches.append([event])

    async def broadcast_events_batch(self, events: Sequence[Any]) -> None:
        self.batches.append(list(events))


@dataclass
class RecordingLockFactory:
    """Records (lock_id, lifetime) and whether the lock was held while the body ran."""

    calls: list[tuple[LockID, float]] = field(default_factory=list)
    held: bool = False
    releases: int = 0

    @asynccontextmanager
    async def _hold(self) -> AsyncIterator[None]:
        self.held = True
        try:
            yield
        finally:
            self.held = False
            self.releases += 1

    def __call__(self, lock_id: LockID, lifetime: float) -> Any:
        self.calls.append((lock_id, lifetime))
        return self._hold()


@dataclass
class RecordingPostProcessor:
    contexts: list[PostProcessContext] = field(default_factory=list)

    async def execute(self, context: PostProcessContext) -> None:
        self.contexts.append(context)


@dataclass
class RecordingHook:
    error: Exception | None = None
    failing: frozenset[SessionId] = frozenset()
    executed: list[SessionWithKernels] = field(default_factory=list)

    async def execute(self, session: SessionWithKernels) -> None:
        self.executed.append(session)
        if self.error is not None and (not self.failing or session.session_id in self.failing):
            raise self.error


class ScriptedHandler(SessionLifecycleHandler):
    """A lifecycle handler whose result (or error) per scaling group is set by the test."""

    spec: ClassVar[HandlerSpec]

    def __init__(
        self,
        spec: HandlerSpec,
        results: Mapping[str, SessionExecutionResult | Exception] | None = None,
        lock_probe: RecordingLockFactory | None = None,
    ) -> None:
        self.spec = spec  # type: ignore[misc]
        self._results = dict(results or {})
        self._lock_probe = lock_probe
        self.calls: list[tuple[str, list[SessionWithKernels]]] = []
        self.ran_under_lock: list[bool] = []

    async def execute(
        self, scaling_group: str, sessions: Sequence[SessionWithKernels]
    ) -> SessionExecutionResult:
        self.calls.append((scaling_group, list(sessions)))
        if self._lock_probe is not None:
            self.ran_under_lock.append(self._lock_probe.held)
        outcome = self._results.get(scaling_group, SessionExecutionResult())
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


def handler_spec(
    name: str = "schedule-sessions",
    *,
    targets: frozenset[SessionStatus] = frozenset({SessionStatus.PENDING}),
    transitions: StatusTransitions | None = None,
    lock_id: LockID | None = LockID.LOCKID_SOKOVAN_TARGET_PENDING,
) -> HandlerSpec:
    return HandlerSpec(
        name=name,
        target_statuses=targets,
        target_kernels=None,
        status_transitions=transitions or StatusTransitions(),
        lock_id=lock_id,
    )


@dataclass
class World:
    """A coordinator over recording fakes, and the fakes themselves."""

    coordinator: ScheduleCoordinator
    repository: FakeRepository
    engine: FakeKernelStateEngine
    events: RecordingEventProducer
    locks: RecordingLockFactory
    post_processor: RecordingPostProcessor
    clock: ManualClock


def build_world(
    *,
    repository: FakeRepository | None = None,
    lifecycle: Mapping[ScheduleType, SessionLifecycleHandler] | None = None,
    kernel: Mapping[ScheduleType, Any] | None = None,
    promotions: Mapping[ScheduleType, PromotionSpec] | None = None,
    hooks: HookRegistry | None = None,
    locks: RecordingLockFactory | None = None,
    now: datetime = NOW,
) -> World:
    repository = repository or FakeRepository()
    engine = FakeKernelStateEngine()
    events = RecordingEventProducer()
    locks = locks or RecordingLockFactory()
    post_processor = RecordingPostProcessor()
    clock = ManualClock(now)
    coordinator = ScheduleCoordinator(
        repository=repository,
        lifecycle_handlers=lifecycle or {},
        kernel_handlers=kernel or {},
        promotion_specs=promotions or {},
        lock_factory=locks,
        config=ManagerConfig(),
        event_producer=events,
        hook_registry=hooks or HookRegistry(),
        kernel_state_engine=engine,  # type: ignore[arg-type]
        post_processors=[post_processor],
        clock=clock,
    )
    return World(coordinator, repository, engine, events, locks, post_processor, clock)


def minutes_ago(minutes: float) -> datetime:
    return NOW - timedelta(minutes=minutes)
