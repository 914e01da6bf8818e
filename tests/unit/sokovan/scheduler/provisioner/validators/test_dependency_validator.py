"""Dependencies: wait for unfinished ones, give up on failed ones."""

from __future__ import annotations

import pytest

from sokovan.common.ids import SessionId
from sokovan.common.status import SessionResult, SessionStatus
from sokovan.repositories.scheduler.snapshot_types import DependencyState, PendingSession
from sokovan.scheduler.provisioner.cycle import CycleState
from sokovan.scheduler.provisioner.errors import DependencyFailed, DependencyNotReady
from sokovan.scheduler.provisioner.validators.dependencies import DependencyValidator
from unit.sokovan.scheduler.provisioner.snapshot_builders import (
    T0,
    pending_session,
    scheduling_data,
    session_id,
)

S = SessionStatus
R = SessionResult
DEP, OTHER = session_id(1), session_id(2)


def _check(session: PendingSession, states: dict[SessionId, DependencyState]) -> None:
    cycle = CycleState(data=scheduling_data(dependencies=states), now=T0)
    DependencyValidator().validate(session, cycle)


def test_no_dependencies_pass() -> None:
    _check(pending_session(), {})


def test_dependencies_that_succeeded_pass() -> None:
    done = DependencyState(S.TERMINATED, R.SUCCESS)

    _check(pending_session(depends_on=[DEP, OTHER]), {DEP: done, OTHER: done})


@pytest.mark.parametrize(
    ("status", "result"),
    [
        (S.PENDING, R.UNDEFINED),
        (S.RUNNING, R.UNDEFINED),
        (S.TERMINATING, R.UNDEFINED),
        (S.TERMINATED, R.UNDEFINED),  # finished, but no result recorded yet
    ],
)
def test_unfinished_dependencies_are_waited_for(status: S, result: R) -> None:
    states = {DEP: DependencyState(status, result)}

    with pytest.raises(DependencyNotReady) as caught:
        _check(pending_session(depends_on=[DEP]), states)

    assert caught.value.message == (
        f"waiting for dependencies to finish successfully: {DEP} ({status}, result {result})"
    )


@pytest.mark.parametrize(
    ("status", "result"),
    [
        (S.TERMINATED, R.FAILURE),
        (S.ERROR, R.FAILURE),
        (S.CANCELLED, R.FAILURE),
        (S.CANCELLED, R.UNDEFINED),  # cancelled before it ran: fails whatever the result
        (S.ERROR, R.UNDEFINED),
        (S.ERROR, R.SUCCESS),
    ],
)
def test_failed_dependencies_mean_the_session_can_never_run(status: S, result: R) -> None:
    states = {DEP: DependencyState(status, result)}

    with pytest.raises(DependencyFailed) as caught:
        _check(pending_session(depends_on=[DEP]), states)

    assert caught.value.message == (
        f"dependencies ended without success: {DEP} ({status}, result {result}); "
        "this session can never run, cancel it"
    )
    assert caught.value.code == "dependency-failed"


def test_a_dependency_missing_from_the_snapshot_counts_as_failed() -> None:
    with pytest.raises(DependencyFailed, match=f"{DEP} \\(not found\\)"):
        _check(pending_session(depends_on=[DEP]), {})


def test_a_failed_dependency_outranks_one_still_running() -> None:
    states = {
        DEP: DependencyState(S.RUNNING, R.UNDEFINED),
        OTHER: DependencyState(S.TERMINATED, R.FAILURE),
    }

    with pytest.raises(DependencyFailed, match=str(OTHER)):
        _check(pending_session(depends_on=[DEP, OTHER]), states)
