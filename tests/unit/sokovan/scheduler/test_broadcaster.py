"""TransitionBroadcaster: one batch per call, best effort."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import pytest

from sokovan.common.status import SessionStatus
from sokovan.scheduler.broadcaster import TransitionBroadcaster
from sokovan.scheduler.results import SessionTransitionInfo
from unit.sokovan.scheduler.coordinator_testkit import RecordingEventProducer, session_info


async def test_nothing_is_sent_for_no_sessions() -> None:
    producer = RecordingEventProducer()

    await TransitionBroadcaster(producer).broadcast([], SessionStatus.RUNNING)

    assert producer.batches == []


async def test_events_carry_the_reason() -> None:
    producer = RecordingEventProducer()
    info = SessionTransitionInfo.of(session_info(SessionStatus.RUNNING), "ABNORMAL_TERMINATION")

    await TransitionBroadcaster(producer).broadcast([info], SessionStatus.TERMINATING)

    ((event,),) = producer.batches
    assert (event.status_transition, event.reason) == ("TERMINATING", "ABNORMAL_TERMINATION")


class BrokenProducer:
    async def broadcast_event(self, event: Any) -> None:
        raise ConnectionError("bus down")

    async def broadcast_events_batch(self, events: Sequence[Any]) -> None:
        raise ConnectionError("bus down")


async def test_a_failing_producer_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    info = SessionTransitionInfo.of(session_info(), None)

    with caplog.at_level(logging.ERROR):
        await TransitionBroadcaster(BrokenProducer()).broadcast([info], SessionStatus.SCHEDULED)

    assert "1 SCHEDULED event(s)" in caplog.records[0].getMessage()
