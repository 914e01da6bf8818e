"""FIFO and LIFO: submission order and its exact reverse, whatever the outcomes."""

from __future__ import annotations

import pytest

from sokovan.common.scheduling import SequencerStrategy
from sokovan.repositories.scheduler.snapshot_types import PendingSession
from sokovan.scheduler.provisioner.sequencers.base import SequenceCursor
from sokovan.scheduler.provisioner.sequencers.drf import DRFSequencer
from sokovan.scheduler.provisioner.sequencers.factory import make_sequencer
from sokovan.scheduler.provisioner.sequencers.fifo import FIFOSequencer
from sokovan.scheduler.provisioner.sequencers.lifo import LIFOSequencer
from unit.sokovan.scheduler.provisioner.snapshot_builders import (
    pending_session,
    scheduling_data,
    session_id,
)

# (created_at offset in seconds, session id number); ids only matter for equal timestamps.
SUBMISSIONS = [(5, 1), (0, 9), (5, 0), (2, 4)]
# Sorted by (created_at, id): (0,9) (2,4) (5,0) (5,1).
FIFO_ORDER = [9, 4, 0, 1]


def _sessions() -> list[PendingSession]:
    return [pending_session(sid=session_id(n), at=at) for at, n in SUBMISSIONS]


def _drain(cursor: SequenceCursor, *, place: bool) -> list[PendingSession]:
    yielded = []
    while (session := cursor.next()) is not None:
        yielded.append(session)
        if place:
            cursor.placed(session)
        else:
            cursor.rejected(session)
    return yielded


@pytest.mark.parametrize("place", [True, False], ids=["placed", "rejected"])
@pytest.mark.parametrize(
    ("sequencer", "expected"),
    [(FIFOSequencer(), FIFO_ORDER), (LIFOSequencer(), FIFO_ORDER[::-1])],
    ids=["fifo", "lifo"],
)
def test_order_ignores_outcomes(
    sequencer: FIFOSequencer | LIFOSequencer, expected: list[int], place: bool
) -> None:
    sessions = _sessions()
    cursor = sequencer.start(sessions, scheduling_data(sessions=sessions))

    yielded = _drain(cursor, place=place)

    assert [s.session_id for s in yielded] == [session_id(n) for n in expected]
    assert cursor.next() is None


@pytest.mark.parametrize("sequencer", [FIFOSequencer(), LIFOSequencer()], ids=["fifo", "lifo"])
def test_no_sessions_yield_nothing(sequencer: FIFOSequencer | LIFOSequencer) -> None:
    assert sequencer.start([], scheduling_data()).next() is None


@pytest.mark.parametrize(
    ("strategy", "kind"),
    [
        (SequencerStrategy.FIFO, FIFOSequencer),
        (SequencerStrategy.LIFO, LIFOSequencer),
        (SequencerStrategy.DRF, DRFSequencer),
    ],
)
def test_factory_builds_the_configured_strategy(strategy: SequencerStrategy, kind: type) -> None:
    assert isinstance(make_sequencer(strategy), kind)
