"""CheckPreconditionLifecycleHandler (seed 001 SC-CP-*, seed 000 CP-*)."""

from __future__ import annotations

from unittest.mock import Mock, create_autospec

import pytest

from sokovan.common.errors import AgentError
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.scheduling import StatusTransitions, TransitionStatus
from sokovan.common.status import KernelStatus, SessionStatus
from sokovan.infra.locks.base import LockID
from sokovan.repositories.scheduler.types import (
    ImageConfig,
    ImageIdentifier,
    SessionDataForPull,
    SessionsForPullResult,
    SessionWithKernels,
)
from sokovan.scheduler.handlers.lifecycle import CheckPreconditionLifecycleHandler
from sokovan.scheduler.handlers.ports import SessionsForPullReader
from sokovan.scheduler.launcher.base import SessionLauncherPort
from unit.sokovan.scheduler.handlers.handler_builders import SCALING_GROUP, session

_IMAGE = ImageIdentifier("python:3.11", "x86_64")


def _pull_result(*sessions: SessionWithKernels) -> SessionsForPullResult:
    data = [
        SessionDataForPull(s.session_id, s.session_info.creation_id, s.session_info.access_key, ())
        for s in sessions
    ]
    config = ImageConfig(_IMAGE.name, _IMAGE.architecture, {}, ResourceSlot())
    return SessionsForPullResult(data, {_IMAGE: config})


@pytest.fixture
def repository() -> Mock:
    return create_autospec(SessionsForPullReader, instance=True)


@pytest.fixture
def launcher() -> Mock:
    return create_autospec(SessionLauncherPort, instance=True)


@pytest.fixture
def handler(repository: Mock, launcher: Mock) -> CheckPreconditionLifecycleHandler:
    return CheckPreconditionLifecycleHandler(repository, launcher)


def test_spec_declares_contract() -> None:
    spec = CheckPreconditionLifecycleHandler.spec
    assert spec.name == "check-precondition"
    assert spec.target_statuses == {SessionStatus.SCHEDULED}
    assert spec.target_kernels is None
    assert spec.status_transitions == StatusTransitions(
        success=TransitionStatus(SessionStatus.PREPARING, KernelStatus.PREPARING),
        expired=TransitionStatus(SessionStatus.PENDING, KernelStatus.PENDING),
    )
    assert spec.lock_id is LockID.LOCKID_SOKOVAN_TARGET_SCHEDULED


async def test_sc_cp_001_all_sessions_trigger_image_pulling(
    handler: CheckPreconditionLifecycleHandler, repository: Mock, launcher: Mock
) -> None:
    s1, s2 = session(SessionStatus.SCHEDULED), session(SessionStatus.SCHEDULED)
    pull = _pull_result(s1, s2)
    repository.get_sessions_for_pull_by_ids.return_value = pull

    result = await handler.execute(SCALING_GROUP, [s1, s2])

    assert len(result.successes) == 2
    assert [info.session_id for info in result.successes] == [s1.session_id, s2.session_id]
    assert result.successes[0].from_status == SessionStatus.SCHEDULED
    assert result.successes[0].reason == "passed-preconditions"
    assert len(result.failures) == 0
    repository.get_sessions_for_pull_by_ids.assert_called_once_with([s1.session_id, s2.session_id])
    launcher.trigger_image_pulling.assert_called_once_with(pull.sessions, pull.image_configs)


async def test_sc_cp_002_empty_session_list_returns_empty_result(
    handler: CheckPreconditionLifecycleHandler, repository: Mock, launcher: Mock
) -> None:
    result = await handler.execute(SCALING_GROUP, [])

    assert len(result.successes) == 0
    assert len(result.failures) == 0
    repository.get_sessions_for_pull_by_ids.assert_not_called()
    launcher.trigger_image_pulling.assert_not_called()


async def test_sc_cp_003_launcher_exception_propagated(
    handler: CheckPreconditionLifecycleHandler, repository: Mock, launcher: Mock
) -> None:
    s1 = session(SessionStatus.SCHEDULED)
    repository.get_sessions_for_pull_by_ids.return_value = _pull_result(s1)
    launcher.trigger_image_pulling.side_effect = AgentError("Connection failed")

    with pytest.raises(AgentError, match="Connection failed"):
        await handler.execute(SCALING_GROUP, [s1])


async def test_cp_001_session_meeting_preconditions_is_success_with_its_identity(
    handler: CheckPreconditionLifecycleHandler, repository: Mock
) -> None:
    # Quotas and policies were enforced by the provisioner's validators in SCHEDULE; what
    # reaches this phase has passed them, and the success carries what events and cache
    # invalidation need.
    s1 = session(SessionStatus.SCHEDULED)
    repository.get_sessions_for_pull_by_ids.return_value = _pull_result(s1)

    result = await handler.execute(SCALING_GROUP, [s1])

    [success] = result.successes
    assert success.session_id == s1.session_id
    assert success.creation_id == s1.session_info.creation_id
    assert success.access_key == s1.session_info.access_key
    assert result.failures == []
    assert result.skipped == []


async def test_cp_006_empty_input_gives_empty_result(
    handler: CheckPreconditionLifecycleHandler,
) -> None:
    result = await handler.execute(SCALING_GROUP, [])

    assert result.successes == result.failures == result.skipped == []
