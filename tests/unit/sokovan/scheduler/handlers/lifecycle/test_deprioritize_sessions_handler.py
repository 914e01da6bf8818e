"""DeprioritizeSessionsLifecycleHandler (seed 001 SC-DP-*, seed 000 DP-*)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from unittest.mock import Mock, create_autospec

import pytest

from sokovan.common.ids import SessionId
from sokovan.common.scheduling import SESSION_PRIORITY_MIN, StatusTransitions, TransitionStatus
from sokovan.common.status import KernelStatus, SessionStatus
from sokovan.infra.locks.base import LockID
from sokovan.repositories.scheduler.types import SessionWithKernels
from sokovan.scheduler.handlers.lifecycle import DeprioritizeSessionsLifecycleHandler
from sokovan.scheduler.handlers.lifecycle.deprioritize_sessions import DEPRIORITIZE_AMOUNT
from sokovan.scheduler.handlers.ports import SessionPriorityWriter
from unit.sokovan.scheduler.handlers.handler_builders import SCALING_GROUP, session


class _PriorityBook:
    """A recording SessionPriorityWriter that lowers priorities as the repository does."""

    def __init__(self, sessions: Sequence[SessionWithKernels]) -> None:
        self.priorities = {s.session_id: s.session_info.priority for s in sessions}
        self.calls: list[tuple[list[SessionId], int, int]] = []

    async def lower_session_priority(
        self, session_ids: Sequence[SessionId], amount: int, min_priority: int
    ) -> None:
        self.calls.append((list(session_ids), amount, min_priority))
        for session_id in session_ids:
            self.priorities[session_id] = max(self.priorities[session_id] - amount, min_priority)

    def reread(self, s: SessionWithKernels) -> SessionWithKernels:
        info = dataclasses.replace(s.session_info, priority=self.priorities[s.session_id])
        return dataclasses.replace(s, session_info=info)


@pytest.fixture
def repository() -> Mock:
    return create_autospec(SessionPriorityWriter, instance=True)


@pytest.fixture
def handler(repository: Mock) -> DeprioritizeSessionsLifecycleHandler:
    return DeprioritizeSessionsLifecycleHandler(repository)


def test_spec_declares_contract() -> None:
    spec = DeprioritizeSessionsLifecycleHandler.spec
    cancelled = TransitionStatus(SessionStatus.CANCELLED, KernelStatus.CANCELLED)
    assert spec.name == "deprioritize-sessions"
    assert spec.target_statuses == {SessionStatus.DEPRIORITIZING}
    assert spec.target_kernels is None
    assert spec.status_transitions == StatusTransitions(
        success=TransitionStatus(SessionStatus.PENDING, None),
        need_retry=cancelled,
        expired=cancelled,
        give_up=cancelled,
    )
    assert spec.lock_id is LockID.LOCKID_SOKOVAN_TARGET_DEPRIORITIZING
    assert DEPRIORITIZE_AMOUNT == 10


async def test_sc_dp_001_sessions_successfully_deprioritized(
    handler: DeprioritizeSessionsLifecycleHandler, repository: Mock
) -> None:
    s1, s2 = session(SessionStatus.DEPRIORITIZING), session(SessionStatus.DEPRIORITIZING)

    result = await handler.execute(SCALING_GROUP, [s1, s2])

    assert len(result.successes) == 2
    assert [info.session_id for info in result.successes] == [s1.session_id, s2.session_id]
    assert result.successes[0].from_status == SessionStatus.DEPRIORITIZING
    assert result.successes[0].reason == "deprioritized-for-rescheduling"
    assert len(result.failures) == 0
    repository.lower_session_priority.assert_called_once_with(
        [s1.session_id, s2.session_id], 10, SESSION_PRIORITY_MIN
    )


async def test_sc_dp_002_empty_session_list_returns_empty_result(
    handler: DeprioritizeSessionsLifecycleHandler, repository: Mock
) -> None:
    result = await handler.execute(SCALING_GROUP, [])

    assert len(result.successes) == 0
    repository.lower_session_priority.assert_not_called()


async def test_dp_001_deprioritized_session_returns_pending_with_lower_priority() -> None:
    s1 = session(SessionStatus.DEPRIORITIZING, priority=25)
    book = _PriorityBook([s1])

    result = await DeprioritizeSessionsLifecycleHandler(book).execute(SCALING_GROUP, [s1])

    [success] = result.successes
    assert success.session_id == s1.session_id
    success_transition = DeprioritizeSessionsLifecycleHandler.spec.status_transitions.success
    assert success_transition == TransitionStatus(SessionStatus.PENDING, None)
    assert book.priorities[s1.session_id] == 15
    assert result.failures == []


async def test_dp_002_session_at_minimum_priority_is_cancelled() -> None:
    # Priority 5 is lowered to the minimum once; giving up again at the minimum cancels the
    # session instead of cycling PENDING → DEPRIORITIZING forever.
    s1 = session(SessionStatus.DEPRIORITIZING, priority=5)
    book = _PriorityBook([s1])
    handler = DeprioritizeSessionsLifecycleHandler(book)

    first = await handler.execute(SCALING_GROUP, [s1])
    second = await handler.execute(SCALING_GROUP, [book.reread(s1)])

    assert [info.session_id for info in first.successes] == [s1.session_id]
    assert book.priorities[s1.session_id] == SESSION_PRIORITY_MIN
    assert second.successes == []
    [failure] = second.failures
    assert failure.session_id == s1.session_id
    assert failure.from_status == SessionStatus.DEPRIORITIZING
    assert failure.reason == "cancelled-at-minimum-priority"
    assert len(book.calls) == 1


async def test_dp_002_mixed_batch_lowers_only_sessions_above_minimum(
    handler: DeprioritizeSessionsLifecycleHandler, repository: Mock
) -> None:
    above = session(SessionStatus.DEPRIORITIZING, priority=30)
    exhausted = session(SessionStatus.DEPRIORITIZING, priority=SESSION_PRIORITY_MIN)

    result = await handler.execute(SCALING_GROUP, [exhausted, above])

    assert [info.session_id for info in result.successes] == [above.session_id]
    assert [info.session_id for info in result.failures] == [exhausted.session_id]
    repository.lower_session_priority.assert_called_once_with(
        [above.session_id], DEPRIORITIZE_AMOUNT, SESSION_PRIORITY_MIN
    )


async def test_dp_002_cancellation_is_final_whatever_the_failure_classification() -> None:
    transitions = DeprioritizeSessionsLifecycleHandler.spec.status_transitions
    cancelled = TransitionStatus(SessionStatus.CANCELLED, KernelStatus.CANCELLED)

    assert transitions.need_retry == transitions.expired == transitions.give_up == cancelled


async def test_dp_003_empty_input_gives_empty_result(
    handler: DeprioritizeSessionsLifecycleHandler, repository: Mock
) -> None:
    result = await handler.execute(SCALING_GROUP, [])

    assert result.successes == result.failures == result.skipped == []
    repository.lower_session_priority.assert_not_called()
