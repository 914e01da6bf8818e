"""SweepSessionsLifecycleHandler (seed 001 SC-SW-*, seed 000 SW-*)."""

from __future__ import annotations

from unittest.mock import Mock, create_autospec

import pytest

from sokovan.common.scheduling import StatusTransitions, TransitionStatus
from sokovan.common.status import KernelStatus, SessionStatus
from sokovan.infra.locks.base import LockID
from sokovan.repositories.scheduler.types import PendingTimeoutSessionData, SessionWithKernels
from sokovan.scheduler.handlers.maintenance import SweepSessionsLifecycleHandler
from sokovan.scheduler.handlers.ports import PendingTimeoutReader
from unit.sokovan.scheduler.handlers.handler_builders import SCALING_GROUP, session


def _timed_out(s: SessionWithKernels) -> PendingTimeoutSessionData:
    info = s.session_info
    return PendingTimeoutSessionData(
        info.session_id, info.creation_id, info.access_key, SCALING_GROUP, info.created_at, 60.0
    )


@pytest.fixture
def repository() -> Mock:
    return create_autospec(PendingTimeoutReader, instance=True)


@pytest.fixture
def handler(repository: Mock) -> SweepSessionsLifecycleHandler:
    return SweepSessionsLifecycleHandler(repository)


def test_spec_declares_contract() -> None:
    spec = SweepSessionsLifecycleHandler.spec
    terminating = TransitionStatus(SessionStatus.TERMINATING, KernelStatus.TERMINATING)
    assert spec.name == "sweep-sessions"
    assert spec.target_statuses == {SessionStatus.PENDING}
    assert spec.target_kernels is None
    # Seed 001 declares only `expired`; need_retry and give_up repeat it so that a timed-out
    # session terminates whatever the coordinator's classification of PENDING failures.
    assert spec.status_transitions == StatusTransitions(
        success=None, need_retry=terminating, expired=terminating, give_up=terminating
    )
    assert spec.lock_id is LockID.LOCKID_SOKOVAN_SWEEP


async def test_sc_sw_001_timed_out_sessions_returned_as_failures(
    handler: SweepSessionsLifecycleHandler, repository: Mock
) -> None:
    s1, s2 = session(SessionStatus.PENDING), session(SessionStatus.PENDING)
    repository.get_pending_timeout_sessions_by_ids.return_value = [_timed_out(s1)]

    result = await handler.execute(SCALING_GROUP, [s1, s2])

    assert len(result.successes) == 0
    assert len(result.failures) == 1
    assert result.failures[0].session_id == s1.session_id
    assert result.failures[0].from_status == SessionStatus.PENDING
    assert result.failures[0].reason == "PENDING_TIMEOUT_EXCEEDED"
    repository.get_pending_timeout_sessions_by_ids.assert_called_once_with(
        [s1.session_id, s2.session_id]
    )


async def test_sc_sw_002_no_timed_out_sessions_returns_empty_result(
    handler: SweepSessionsLifecycleHandler, repository: Mock
) -> None:
    s1 = session(SessionStatus.PENDING)
    repository.get_pending_timeout_sessions_by_ids.return_value = []

    result = await handler.execute(SCALING_GROUP, [s1])

    assert len(result.successes) == 0
    assert len(result.failures) == 0


async def test_sc_sw_003_empty_session_list_returns_empty_result(
    handler: SweepSessionsLifecycleHandler, repository: Mock
) -> None:
    result = await handler.execute(SCALING_GROUP, [])

    assert len(result.successes) == 0
    assert len(result.failures) == 0
    repository.get_pending_timeout_sessions_by_ids.assert_not_called()


async def test_failures_keep_input_order_and_identity(
    handler: SweepSessionsLifecycleHandler, repository: Mock
) -> None:
    s1, s2, s3 = (session(SessionStatus.PENDING) for _ in range(3))
    repository.get_pending_timeout_sessions_by_ids.return_value = [_timed_out(s3), _timed_out(s1)]

    result = await handler.execute(SCALING_GROUP, [s1, s2, s3])

    assert [info.session_id for info in result.failures] == [s1.session_id, s3.session_id]
    assert result.failures[0].access_key == s1.session_info.access_key
    assert result.failures[0].creation_id == s1.session_info.creation_id


async def test_sw_003_session_within_timeout_is_not_reported(
    handler: SweepSessionsLifecycleHandler, repository: Mock
) -> None:
    # Seed 000 says "skipped"; reporting nothing avoids a SKIPPED history row for every
    # queued session on every sweep, and leaves the session PENDING just the same.
    s1 = session(SessionStatus.PENDING)
    repository.get_pending_timeout_sessions_by_ids.return_value = []

    result = await handler.execute(SCALING_GROUP, [s1])

    assert result.successes == result.failures == result.skipped == []
