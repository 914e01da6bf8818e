"""ScheduleCoordinator: one ScheduleType, every scaling group, query → handler → apply.

The loop of DESIGN §4. For a ScheduleType the coordinator takes the handler's lock (if it
declares one), lists the schedulable scaling groups and processes them concurrently, a failing
group being logged without affecting the others. Per group it queries the targets, runs the
lifecycle handler (or evaluates the promotion spec, or runs the kernel handler) and applies
the outcome. Everything around that loop is a collaborator: the failure classifier, status
hooks, the history builder, the event broadcaster and the post-processor chain.

Applying one outcome (successes, or one class of failures) is the same for every path:
hooks for the target status → one status update with its history → kernel reset when
kernels go back to PENDING → one event batch → post-processors.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from functools import partial
from typing import Protocol

from sokovan.common.clock import Clock
from sokovan.common.ids import SessionId
from sokovan.common.scheduling import ScheduleType, SchedulingResult, TransitionStatus
from sokovan.common.status import KernelStatus, SessionStatus
from sokovan.config import ManagerConfig
from sokovan.infra.events.base import EventProducer
from sokovan.infra.locks.base import LockFactory, LockID
from sokovan.repositories.scheduler.conditions import (
    KernelConditions,
    KernelQuerier,
    SessionCondition,
    SessionConditions,
    SessionQuerier,
)
from sokovan.repositories.scheduler.types import (
    KernelSearchResult,
    SchedulingHistoryRecord,
    SessionInfo,
    SessionWithKernels,
)
from sokovan.repositories.scheduler.write_specs import (
    SchedulingHistoryCreator,
    SessionStatusUpdater,
)
from sokovan.scheduler.broadcaster import TransitionBroadcaster
from sokovan.scheduler.classification import (
    FailureClassification,
    FailureClassifier,
)
from sokovan.scheduler.constants import (
    KERNEL_HANDLER_FAILURE,
    KERNEL_RESET_REASON,
    STATUS_TIMEOUT_MAP,
)
from sokovan.scheduler.handlers.base import (
    HandlerSpec,
    KernelLifecycleHandler,
    SessionLifecycleHandler,
)
from sokovan.scheduler.hooks.registry import HookExecutionResult, HookRegistry, run_hook
from sokovan.scheduler.kernel.state_engine import KernelStateEngine
from sokovan.scheduler.post_processors.base import (
    PostProcessContext,
    PostProcessor,
    PostProcessorChain,
)
from sokovan.scheduler.promotion import PROMOTION_SPECS, PromotionSpec
from sokovan.scheduler.recorder.history import (
    skipped_history,
    transition_batch,
    with_phase_history,
)
from sokovan.scheduler.results import SessionExecutionResult, SessionTransitionInfo
from sokovan.scheduler.scaling_groups import process_each_group

log = logging.getLogger(__name__)


class CoordinatorRepository(Protocol):
    """The scheduler repository methods the coordinator calls."""

    async def get_schedulable_scaling_groups(self) -> list[str]: ...

    async def search_sessions_with_kernels_for_handler(
        self, querier: SessionQuerier
    ) -> list[SessionWithKernels]: ...

    async def search_sessions_for_handler(self, querier: SessionQuerier) -> list[SessionInfo]: ...

    async def search_kernels_for_handler(self, querier: KernelQuerier) -> KernelSearchResult: ...

    async def get_last_session_histories(
        self, session_ids: Sequence[SessionId]
    ) -> Mapping[SessionId, SchedulingHistoryRecord]: ...

    async def update_with_history(
        self, updater: SessionStatusUpdater, creator: SchedulingHistoryCreator
    ) -> int: ...

    async def create_scheduling_history(self, creator: SchedulingHistoryCreator) -> None: ...


class ScheduleCoordinator:
    """Runs lifecycle handlers, promotion specs and kernel handlers by ScheduleType."""

    def __init__(
        self,
        *,
        repository: CoordinatorRepository,
        lifecycle_handlers: Mapping[ScheduleType, SessionLifecycleHandler],
        kernel_handlers: Mapping[ScheduleType, KernelLifecycleHandler],
        promotion_specs: Mapping[ScheduleType, PromotionSpec] = PROMOTION_SPECS,
        lock_factory: LockFactory,
        config: ManagerConfig,
        event_producer: EventProducer,
        hook_registry: HookRegistry,
        kernel_state_engine: KernelStateEngine,
        post_processors: Sequence[PostProcessor],
        clock: Clock,
        status_timeouts: Mapping[SessionStatus, timedelta] = STATUS_TIMEOUT_MAP,
    ) -> None:
        self._repository = repository
        self._lifecycle_handlers = dict(lifecycle_handlers)
        self._kernel_handlers = dict(kernel_handlers)
        self._promotion_specs = dict(promotion_specs)
        self._lock_factory = lock_factory
        self._config = config
        self._hook_registry = hook_registry
        self._kernel_state_engine = kernel_state_engine
        self._classifier = FailureClassifier(clock, timeouts=status_timeouts)
        self._broadcaster = TransitionBroadcaster(event_producer)
        self._post_processors = PostProcessorChain(post_processors)

    async def process_lifecycle_schedule(self, schedule_type: ScheduleType) -> bool:
        """Run one cycle of `schedule_type` over every schedulable scaling group.

        Returns False when nothing is registered for the type, True otherwise, also when
        some scaling groups failed (each such failure is logged and affects no other group).
        Failing to take the lock propagates (the next cycle tries again).
        """
        if (handler := self._lifecycle_handlers.get(schedule_type)) is not None:
            await self._process_lifecycle_handler_schedule(handler)
        elif (spec := self._promotion_specs.get(schedule_type)) is not None:
            await self._for_each_scaling_group(
                spec.name, partial(self._process_promotion_scaling_group, spec)
            )
        elif (kernel_handler := self._kernel_handlers.get(schedule_type)) is not None:
            async with self._lock(kernel_handler.spec.lock_id):
                await self._for_each_scaling_group(
                    kernel_handler.spec.name,
                    partial(self._process_kernel_scaling_group, kernel_handler),
                )
        else:
            log.warning("nothing is registered for schedule type %s", schedule_type)
            return False
        return True

    # --- the loop -----------------------------------------------------------------------

    async def _process_lifecycle_handler_schedule(self, handler: SessionLifecycleHandler) -> None:
        async with self._lock(handler.spec.lock_id):
            await self._for_each_scaling_group(
                handler.spec.name, partial(self._process_scaling_group, handler)
            )

    def _lock(self, lock_id: LockID | None) -> AbstractAsyncContextManager[None]:
        if lock_id is None:
            return contextlib.nullcontext()
        return self._lock_factory(lock_id, self._config.session_schedule_lock_lifetime)

    async def _for_each_scaling_group(
        self, name: str, process: Callable[[str], Awaitable[None]]
    ) -> None:
        groups = await self._repository.get_schedulable_scaling_groups()
        await process_each_group(name, groups, process)

    async def _process_scaling_group(
        self, handler: SessionLifecycleHandler, scaling_group: str
    ) -> None:
        spec = handler.spec
        sessions = await self._repository.search_sessions_with_kernels_for_handler(
            _targets(spec, scaling_group)
        )
        if not sessions:
            return
        records = await self._repository.get_last_session_histories(
            [session.session_id for session in sessions]
        )
        sessions = with_phase_history(spec.name, sessions, records)
        result = await _execute(handler, scaling_group, sessions)
        await self._apply_result(spec, sessions, result)

    async def _process_promotion_scaling_group(
        self, spec: PromotionSpec, scaling_group: str
    ) -> None:
        promoted = await self._repository.search_sessions_for_handler(spec.querier(scaling_group))
        if promoted:
            await self._apply_transition(
                spec.name,
                [SessionTransitionInfo.of(session, spec.reason) for session in promoted],
                spec.success,
                SchedulingResult.SUCCESS,
            )
        if spec.expired is not None:
            await self._expire_overdue(spec, spec.expired, scaling_group, promoted)

    async def _expire_overdue(
        self,
        spec: PromotionSpec,
        expired: TransitionStatus,
        scaling_group: str,
        promoted: Sequence[SessionInfo],
    ) -> None:
        """Expire the candidates that did not qualify and overstayed their status."""
        cutoffs = self._classifier.expiry_cutoffs(spec.target_statuses)
        if not cutoffs:
            return
        skip = {session.session_id for session in promoted}
        candidates = await self._repository.search_sessions_for_handler(
            spec.overdue_querier(scaling_group, cutoffs)
        )
        overdue = self._classifier.overdue(s for s in candidates if s.session_id not in skip)
        if overdue:
            await self._apply_transition(spec.name, overdue, expired, SchedulingResult.EXPIRED)

    async def _process_kernel_scaling_group(
        self, handler: KernelLifecycleHandler, scaling_group: str
    ) -> None:
        """Run a kernel handler; every kernel it reports failed is marked TERMINATED."""
        found = await self._repository.search_kernels_for_handler(
            KernelQuerier(
                (
                    KernelConditions.by_scaling_group(scaling_group),
                    KernelConditions.by_statuses(handler.spec.target_kernel_statuses),
                )
            )
        )
        if not found.items:
            return
        result = await handler.execute(scaling_group, found.items)
        for failure in result.failures:
            await self._kernel_state_engine.mark_kernel_terminated(
                failure.kernel_id, failure.reason or KERNEL_HANDLER_FAILURE
            )
        log.debug(
            "%s: %d of %d kernel(s) terminated",
            handler.spec.name,
            len(result.failures),
            len(found.items),
        )

    # --- applying an outcome --------------------------------------------------------------

    def _classify_failures(
        self,
        failures: Sequence[SessionTransitionInfo],
        sessions: Sequence[SessionWithKernels],
    ) -> FailureClassification:
        return self._classifier.classify(failures, sessions)

    async def _apply_result(
        self,
        spec: HandlerSpec,
        sessions: Sequence[SessionWithKernels],
        result: SessionExecutionResult,
    ) -> None:
        transitions = spec.status_transitions
        failures = self._classify_failures(result.failures, sessions).under(transitions)
        outcomes = (
            (result.successes, transitions.success, SchedulingResult.SUCCESS),
            (failures.give_up, transitions.give_up, SchedulingResult.GIVE_UP),
            (failures.expired, transitions.expired, SchedulingResult.EXPIRED),
            (failures.need_retry, transitions.need_retry, SchedulingResult.NEED_RETRY),
        )
        for infos, transition, outcome in outcomes:
            if infos:
                await self._apply_transition(spec.name, infos, transition, outcome)
        if result.skipped:
            await self._record_skipped_history(spec.name, result.skipped)

    async def _apply_transition(
        self,
        phase: str,
        session_infos: Sequence[SessionTransitionInfo],
        transition: TransitionStatus | None,
        scheduling_result: SchedulingResult,
    ) -> None:
        """Apply one outcome; a None transition (or session status) records history only."""
        target = transition.session if transition is not None else None
        infos = list(session_infos)
        if target is not None:
            infos = (await self._execute_transition_hooks(infos, target)).successful_sessions
        if not infos:
            return
        updater, creator = transition_batch(phase, infos, transition, scheduling_result)
        count = await self._repository.update_with_history(updater, creator)
        applied = await self._applied(infos, target, count)
        if not applied:
            return
        if transition is not None and transition.kernel is KernelStatus.PENDING:
            # The update already moved the kernels with their session, in one transaction,
            # so no crash can leave a PENDING session with placed kernels. The engine's reset
            # is the kernel-level step of the contract; it is idempotent and normally finds
            # nothing left to reset.
            await self._kernel_state_engine.reset_kernels_to_pending_for_sessions(
                [info.session_id for info in applied], reason=KERNEL_RESET_REASON
            )
        if target is not None:
            await self._broadcast_transition_events(applied, target)
        await self._run_post_processors(_as_result(applied, scheduling_result), target)

    async def _applied(
        self,
        infos: list[SessionTransitionInfo],
        target: SessionStatus | None,
        count: int,
    ) -> list[SessionTransitionInfo]:
        """The sessions whose change applied: all of them, unless some moved meanwhile.

        Then (rarely) the sessions are read back, and those now in the target status count
        as transitioned, so no event or kernel reset concerns a session that went elsewhere.
        """
        if count >= len(infos) or target is None:
            return infos
        querier = SessionQuerier(
            (
                SessionConditions.by_ids(info.session_id for info in infos),
                SessionConditions.by_statuses([target]),
            )
        )
        arrived = {
            s.session_id for s in await self._repository.search_sessions_for_handler(querier)
        }
        return [info for info in infos if info.session_id in arrived]

    async def _execute_transition_hooks(
        self, session_infos: Sequence[SessionTransitionInfo], target_status: SessionStatus
    ) -> HookExecutionResult:
        """Run the target status's hook, if any, for each session (read in full first)."""
        hook = self._hook_registry.get_hook(target_status)
        if hook is None:
            return HookExecutionResult(successful_sessions=list(session_infos))
        sessions = await self._repository.search_sessions_with_kernels_for_handler(
            SessionQuerier((SessionConditions.by_ids(i.session_id for i in session_infos),))
        )
        return await run_hook(hook, target_status, session_infos, sessions)

    async def _broadcast_transition_events(
        self, sessions: Sequence[SessionTransitionInfo], to_status: SessionStatus
    ) -> None:
        await self._broadcaster.broadcast(sessions, to_status)

    async def _run_post_processors(
        self, result: SessionExecutionResult, target_status: SessionStatus | None
    ) -> None:
        await self._post_processors.run(PostProcessContext(result, target_status))

    async def _record_skipped_history(
        self, phase: str, skipped: Sequence[SessionTransitionInfo]
    ) -> None:
        await self._repository.create_scheduling_history(skipped_history(phase, skipped))


def _targets(spec: HandlerSpec, scaling_group: str) -> SessionQuerier:
    conditions: list[SessionCondition] = [
        SessionConditions.by_scaling_group(scaling_group),
        SessionConditions.by_statuses(spec.target_statuses),
    ]
    if spec.target_kernels is not None:
        match = spec.target_kernels
        conditions.append(SessionConditions.by_kernel_match(match.statuses, match.match_type))
    return SessionQuerier(tuple(conditions))


async def _execute(
    handler: SessionLifecycleHandler, scaling_group: str, sessions: Sequence[SessionWithKernels]
) -> SessionExecutionResult:
    """Run the handler; if it raises, every target session failed with the error as reason."""
    try:
        return await handler.execute(scaling_group, sessions)
    except Exception as error:
        log.warning("%s failed in %s", handler.spec.name, scaling_group, exc_info=True)
        reason = str(error) or type(error).__name__
        return SessionExecutionResult(
            failures=[SessionTransitionInfo.of(session, reason) for session in sessions]
        )


def _as_result(
    infos: list[SessionTransitionInfo], outcome: SchedulingResult
) -> SessionExecutionResult:
    if outcome is SchedulingResult.SUCCESS:
        return SessionExecutionResult(successes=infos)
    return SessionExecutionResult(failures=infos)
