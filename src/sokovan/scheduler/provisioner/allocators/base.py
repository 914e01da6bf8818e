"""The allocator contract."""

from __future__ import annotations

from typing import Protocol

from sokovan.repositories.scheduler.write_specs import AllocationBatch, AllocationOutcome


class Allocator(Protocol):
    async def allocate(self, batch: AllocationBatch) -> AllocationOutcome:
        """Commit `batch` atomically; sessions that lost a race come back rejected with a
        reason. Database errors propagate."""
        ...
