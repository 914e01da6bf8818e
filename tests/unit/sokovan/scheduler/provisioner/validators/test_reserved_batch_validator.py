"""Reserved batch sessions wait until their start time."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from sokovan.common.scheduling import SessionType
from sokovan.scheduler.provisioner.cycle import CycleState
from sokovan.scheduler.provisioner.errors import ReservedBatchNotStarted
from sokovan.scheduler.provisioner.validators.reserved_batch import ReservedBatchValidator
from unit.sokovan.scheduler.provisioner.snapshot_builders import (
    T0,
    pending_session,
    scheduling_data,
)

NOW = T0 + timedelta(hours=1)


def _cycle() -> CycleState:
    return CycleState(data=scheduling_data(), now=NOW)


def test_ss_009_batch_session_reserved_for_the_future_waits() -> None:
    starts_at = NOW + timedelta(minutes=30)
    session = pending_session(session_type=SessionType.BATCH, starts_at=starts_at)

    with pytest.raises(ReservedBatchNotStarted) as caught:
        ReservedBatchValidator().validate(session, _cycle())

    assert caught.value.message == (
        "batch session is reserved to start at 2026-01-01T01:30:00+00:00; "
        "it stays pending until then"
    )
    assert caught.value.code == "starts-at-future"


@pytest.mark.parametrize(
    ("session_type", "starts_at"),
    [
        (SessionType.BATCH, None),  # not reserved
        (SessionType.BATCH, NOW),  # the start time has arrived
        (SessionType.BATCH, NOW - timedelta(seconds=1)),  # already past
        (SessionType.INTERACTIVE, NOW + timedelta(days=1)),  # only batch sessions are reserved
    ],
)
def test_ss_009_sessions_whose_start_has_come_pass(
    session_type: SessionType, starts_at: datetime | None
) -> None:
    session = pending_session(session_type=session_type, starts_at=starts_at)

    ReservedBatchValidator().validate(session, _cycle())
