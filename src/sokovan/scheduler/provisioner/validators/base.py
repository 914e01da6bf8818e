"""The validator contract."""

from __future__ import annotations

from typing import Protocol

from sokovan.repositories.scheduler.snapshot_types import PendingSession
from sokovan.scheduler.provisioner.cycle import CycleState


class Validator(Protocol):
    def validate(self, session: PendingSession, cycle: CycleState) -> None:
        """Return when `session` satisfies the rule, else raise a `ValidationRejection`.

        Pure: reads the snapshot and the cycle's placements, changes neither.
        """
        ...
