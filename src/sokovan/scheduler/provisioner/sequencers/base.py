"""The sequencer contract.

A `Sequencer` is stateless and shared; `start` makes a `SequenceCursor` that holds one cycle's
state. The cursor is fed back every outcome, so a strategy whose order depends on what was
placed (DRF) can reorder as the cycle goes on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sokovan.repositories.scheduler.snapshot_types import PendingSession, SchedulingData


class SequenceCursor(Protocol):
    """Yields each session at most once; the caller reports the outcome of each."""

    def next(self) -> PendingSession | None:
        """The session to consider next, or None when every session has been yielded."""
        ...

    def placed(self, session: PendingSession) -> None:
        """`session` (yielded by `next`) was placed; its resources now count for its owner."""
        ...

    def rejected(self, session: PendingSession) -> None:
        """`session` (yielded by `next`) was not placed; it is dropped for this cycle."""
        ...


class Sequencer(Protocol):
    def start(self, sessions: Sequence[PendingSession], data: SchedulingData) -> SequenceCursor:
        """A cursor over `sessions` (a subset of `data.pending_sessions`) for one cycle."""
        ...
