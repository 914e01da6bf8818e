"""TerminateSessionsLifecycleHandler (seed 001 SC-TS-*, seed 000 TS-*)."""

from __future__ import annotations

from unittest.mock import Mock, create_autospec

import pytest

from sokovan.common.scheduling import StatusTransitions, TransitionStatus
from sokovan.common.status import KernelStatus, SessionStatus
from sokovan.infra.locks.base import LockID
from sokovan.repositories.scheduler.types import SessionWithKernels, TerminatingSessionData
from sokovan.scheduler.handlers.lifecycle import TerminateSessionsLifecycleHandler
from sokovan.scheduler.handlers.ports import TerminatingSessionsReader
from sokovan.scheduler.terminator.base import SessionTerminatorPort
from unit.sokovan.scheduler.handlers.handler_builders import SCALING_GROUP, session


def _terminating(s: SessionWithKernels) -> TerminatingSessionData:
    info = s.session_info
    return TerminatingSessionData(
        info.session_id, info.creation_id, info.access_key, info.status, "user-requested", ()
    )


@pytest.fixture
def repository() -> Mock:
    return create_autospec(TerminatingSessionsReader, instance=True)


@pytest.fixture
def terminator() -> Mock:
    return create_autospec(SessionTerminatorPort, instance=True)


@pytest.fixture
def handler(repository: Mock, terminator: Mock) -> TerminateSessionsLifecycleHandler:
    return TerminateSessionsLifecycleHandler(repository, terminator)


def test_spec_declares_contract() -> None:
    spec = TerminateSessionsLifecycleHandler.spec
    terminated = TransitionStatus(SessionStatus.TERMINATED, KernelStatus.TERMINATED)
    assert spec.name == "terminate-sessions"
    assert spec.target_statuses == {SessionStatus.TERMINATING}
    assert spec.target_kernels is None
    assert spec.status_transitions == StatusTransitions(
        success=None, expired=terminated, give_up=terminated
    )
    assert spec.lock_id is LockID.LOCKID_SOKOVAN_TARGET_TERMINATING


async def test_sc_ts_001_sessions_trigger_termination_rpc_returns_empty_result(
    handler: TerminateSessionsLifecycleHandler, repository: Mock, terminator: Mock
) -> None:
    s1, s2 = session(SessionStatus.TERMINATING), session(SessionStatus.TERMINATING)
    terminating = [_terminating(s1), _terminating(s2)]
    repository.get_terminating_sessions_by_ids.return_value = terminating

    result = await handler.execute(SCALING_GROUP, [s1, s2])

    assert len(result.successes) == 0
    assert len(result.failures) == 0
    assert result.skipped == []
    repository.get_terminating_sessions_by_ids.assert_called_once_with(
        [s1.session_id, s2.session_id]
    )
    terminator.terminate_sessions_for_handler.assert_called_once_with(terminating)


async def test_sc_ts_002_no_terminating_sessions_returns_empty_result(
    handler: TerminateSessionsLifecycleHandler, repository: Mock, terminator: Mock
) -> None:
    s1 = session(SessionStatus.TERMINATING)
    repository.get_terminating_sessions_by_ids.return_value = []

    result = await handler.execute(SCALING_GROUP, [s1])

    assert len(result.successes) == 0
    assert len(result.failures) == 0
    terminator.terminate_sessions_for_handler.assert_not_called()


async def test_sc_ts_003_empty_session_list_returns_empty_result(
    handler: TerminateSessionsLifecycleHandler, repository: Mock, terminator: Mock
) -> None:
    result = await handler.execute(SCALING_GROUP, [])

    assert len(result.successes) == 0
    repository.get_terminating_sessions_by_ids.assert_not_called()
    terminator.terminate_sessions_for_handler.assert_not_called()


async def test_ts_001_normal_termination_sends_destroy_and_leaves_status_to_events(
    handler: TerminateSessionsLifecycleHandler, repository: Mock, terminator: Mock
) -> None:
    # Seed 000 expects successes; seed 001 fixes an empty result: TERMINATED is reached
    # through agent events and the CHECK_TERMINATING_PROGRESS promotion.
    s1 = session(SessionStatus.TERMINATING)
    repository.get_terminating_sessions_by_ids.return_value = [_terminating(s1)]

    result = await handler.execute(SCALING_GROUP, [s1])

    assert result.successes == result.failures == result.skipped == []
    terminator.terminate_sessions_for_handler.assert_called_once_with([_terminating(s1)])
