"""StartSessionsLifecycleHandler (seed 001 SC-ST-*, seed 000 ST-*)."""

from __future__ import annotations

from unittest.mock import Mock, create_autospec

import pytest

from sokovan.common.errors import AgentError
from sokovan.common.scheduling import StatusTransitions, TransitionStatus
from sokovan.common.status import KernelStatus, SessionStatus
from sokovan.infra.locks.base import LockID
from sokovan.repositories.scheduler.conditions import SessionConditions, SessionQuerier
from sokovan.repositories.scheduler.types import (
    SessionDataForStart,
    SessionsWithUserResult,
    SessionWithKernels,
    UserData,
)
from sokovan.scheduler.handlers.lifecycle import StartSessionsLifecycleHandler
from sokovan.scheduler.handlers.ports import SessionsForStartReader
from sokovan.scheduler.launcher.base import SessionLauncherPort
from unit.sokovan.scheduler.handlers.handler_builders import SCALING_GROUP, session


def _start_result(*sessions: SessionWithKernels) -> SessionsWithUserResult:
    def data(s: SessionWithKernels) -> SessionDataForStart:
        info = s.session_info
        user = UserData(info.user_id, "u@example.com", "u", info.domain_name, info.group_id, "g")
        return SessionDataForStart(info, s.kernel_infos, user, {}, None, None)

    return SessionsWithUserResult([data(s) for s in sessions], {})


@pytest.fixture
def repository() -> Mock:
    return create_autospec(SessionsForStartReader, instance=True)


@pytest.fixture
def launcher() -> Mock:
    return create_autospec(SessionLauncherPort, instance=True)


@pytest.fixture
def handler(repository: Mock, launcher: Mock) -> StartSessionsLifecycleHandler:
    return StartSessionsLifecycleHandler(repository, launcher)


def test_spec_declares_contract() -> None:
    spec = StartSessionsLifecycleHandler.spec
    assert spec.name == "start-sessions"
    assert spec.target_statuses == {SessionStatus.PREPARED}
    assert spec.target_kernels is None
    assert spec.status_transitions == StatusTransitions(
        success=TransitionStatus(SessionStatus.CREATING, KernelStatus.CREATING),
        expired=TransitionStatus(SessionStatus.PENDING, KernelStatus.PENDING),
    )
    assert spec.lock_id is LockID.LOCKID_SOKOVAN_TARGET_PREPARED


async def test_sc_st_001_all_sessions_start_successfully(
    handler: StartSessionsLifecycleHandler, repository: Mock, launcher: Mock
) -> None:
    s1, s2 = session(SessionStatus.PREPARED), session(SessionStatus.PREPARED)
    to_start = _start_result(s1, s2)
    repository.search_sessions_with_kernels_and_user.return_value = to_start

    result = await handler.execute(SCALING_GROUP, [s1, s2])

    assert len(result.successes) == 2
    assert [info.session_id for info in result.successes] == [s1.session_id, s2.session_id]
    assert result.successes[0].from_status == SessionStatus.PREPARED
    assert result.successes[0].reason == "triggered-by-scheduler"
    assert len(result.failures) == 0
    repository.search_sessions_with_kernels_and_user.assert_called_once_with(
        SessionQuerier(
            conditions=(
                SessionConditions.by_ids([s1.session_id, s2.session_id]),
                SessionConditions.by_statuses([SessionStatus.PREPARED]),
            )
        )
    )
    launcher.start_sessions_for_handler.assert_called_once_with(
        to_start.sessions, to_start.image_configs
    )


async def test_sc_st_002_empty_session_list_returns_empty_result(
    handler: StartSessionsLifecycleHandler, repository: Mock, launcher: Mock
) -> None:
    result = await handler.execute(SCALING_GROUP, [])

    assert len(result.successes) == 0
    assert len(result.failures) == 0
    launcher.start_sessions_for_handler.assert_not_called()
    repository.search_sessions_with_kernels_and_user.assert_not_called()


async def test_sc_st_003_launcher_exception_propagated(
    handler: StartSessionsLifecycleHandler, repository: Mock, launcher: Mock
) -> None:
    s1 = session(SessionStatus.PREPARED)
    repository.search_sessions_with_kernels_and_user.return_value = _start_result(s1)
    launcher.start_sessions_for_handler.side_effect = AgentError("Connection failed")

    with pytest.raises(AgentError, match="Connection failed"):
        await handler.execute(SCALING_GROUP, [s1])


async def test_st_001_prepared_session_starts_and_launcher_is_called(
    handler: StartSessionsLifecycleHandler, repository: Mock, launcher: Mock
) -> None:
    # Seed 000 says SCHEDULED → PREPARING here; seed 001 fixes that as CHECK_PRECONDITION,
    # and START creates the kernels of PREPARED sessions.
    s1 = session(SessionStatus.PREPARED)
    repository.search_sessions_with_kernels_and_user.return_value = _start_result(s1)

    result = await handler.execute(SCALING_GROUP, [s1])

    assert [info.session_id for info in result.successes] == [s1.session_id]
    launcher.start_sessions_for_handler.assert_called_once()


async def test_st_002_unreachable_agent_reaches_coordinator_as_error(
    handler: StartSessionsLifecycleHandler, repository: Mock, launcher: Mock
) -> None:
    # The handler reports no partial result: the coordinator turns the error into failures.
    s1 = session(SessionStatus.PREPARED)
    repository.search_sessions_with_kernels_and_user.return_value = _start_result(s1)
    launcher.start_sessions_for_handler.side_effect = AgentError("agent i-1 unreachable")

    with pytest.raises(AgentError):
        await handler.execute(SCALING_GROUP, [s1])
