"""The allocator backed by the scheduler repository's `allocate_sessions`."""

from __future__ import annotations

from typing import Protocol

from sokovan.repositories.scheduler.write_specs import AllocationBatch, AllocationOutcome


class AllocationRepository(Protocol):
    async def allocate_sessions(self, batch: AllocationBatch) -> AllocationOutcome: ...


class RepositoryAllocator:
    """One transaction per batch; capacity is re-checked under row locks in the database, so
    two managers scheduling at once can never overcommit an agent."""

    def __init__(self, repository: AllocationRepository) -> None:
        self._repository = repository

    async def allocate(self, batch: AllocationBatch) -> AllocationOutcome:
        if not batch.allocations and batch.roundrobin_next_index is None:
            return AllocationOutcome(allocated=(), rejected=())
        return await self._repository.allocate_sessions(batch)
