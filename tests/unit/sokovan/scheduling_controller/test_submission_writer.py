"""SubmissionWriter: concurrent submissions share a transaction, each keeps its own outcome."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import replace

import pytest

from sokovan.common.clock import ManualClock
from sokovan.common.ids import SessionId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.repositories.scheduler.snapshot_types import PendingStats, ResourcePolicySnapshot
from sokovan.repositories.scheduler.write_enqueue import (
    EnqueueContext,
    EnqueueLookup,
    SessionEnqueueRecord,
)
from sokovan.scheduler.provisioner.errors import PendingSessionCountLimitExceeded
from sokovan.scheduling_controller.controller import build_record
from sokovan.scheduling_controller.submissions import SubmissionWriter
from sokovan.scheduling_controller.types import SessionCreationSpec, SessionReferenceError
from unit.sokovan.scheduling_controller.spec_builders import CONTEXT, NOW, SPEC

SLOTS = (ResourceSlot.from_json({"cpu": "1", "mem": str(2**30)}),)
ONE_PENDING = ResourcePolicySnapshot(
    name="one-pending",
    total_resource_slots=ResourceSlot(),
    max_concurrent_sessions=None,
    max_pending_session_count=1,
    max_pending_session_resource_slots=ResourceSlot(),
)


class BatchRecordingRepository:
    """Records every batch; the names in `broken` make any batch holding them fail.

    Every lookup gets `context`, except those of the scaling groups in `contexts`.
    """

    def __init__(
        self, context: EnqueueContext = CONTEXT, contexts: dict[str, EnqueueContext] | None = None
    ) -> None:
        self.context = context
        self.contexts = contexts or {}
        self.lookups: list[EnqueueLookup] = []
        self.batches: list[list[str]] = []
        self.broken: set[str] = set()

    async def get_enqueue_context(self, lookup: EnqueueLookup) -> EnqueueContext:
        self.lookups.append(lookup)
        return self.contexts.get(lookup.scaling_group, self.context)

    async def enqueue_sessions(self, records: Sequence[SessionEnqueueRecord]) -> None:
        names = [record.name for record in records]
        if self.broken & set(names):
            raise RuntimeError(f"duplicate key in {sorted(self.broken & set(names))}")
        self.batches.append(names)


def writer_for(repository: BatchRecordingRepository, max_batch: int = 256) -> SubmissionWriter:
    return SubmissionWriter(repository, build_record, ManualClock(NOW), max_batch=max_batch)


def named(name: str) -> SessionCreationSpec:
    return replace(SPEC, name=name)


async def submit_all(
    writer: SubmissionWriter, names: Sequence[str]
) -> list[SessionId | BaseException]:
    async with asyncio.timeout(5):
        return await asyncio.gather(
            *(writer.submit(named(name), SLOTS) for name in names), return_exceptions=True
        )


async def test_a_lone_submission_is_written_at_once() -> None:
    repository = BatchRecordingRepository()
    async with asyncio.timeout(5):
        session_id = await writer_for(repository).submit(named("solo"), SLOTS)
    assert isinstance(session_id, uuid.UUID)
    assert repository.batches == [["solo"]]


async def test_concurrent_submissions_share_one_transaction_and_one_context_read() -> None:
    repository = BatchRecordingRepository()
    outcomes = await submit_all(writer_for(repository), ["a", "b", "c", "d"])
    assert len({outcome for outcome in outcomes}) == 4
    assert repository.batches == [["a", "b", "c", "d"]]  # arrival order kept
    assert len(repository.lookups) == 1  # the four share one lookup


async def test_batches_are_capped_and_the_rest_waits_for_the_next() -> None:
    repository = BatchRecordingRepository()
    await submit_all(writer_for(repository, max_batch=2), ["a", "b", "c", "d", "e"])
    assert repository.batches == [["a", "b"], ["c", "d"], ["e"]]


async def test_a_refused_submission_gets_its_error_and_the_others_are_written() -> None:
    missing_group = replace(CONTEXT, scaling_group_exists=False, scaling_group=None)
    repository = BatchRecordingRepository(contexts={"gpu": missing_group})
    writer = writer_for(repository)
    bad = replace(named("bad"), scaling_group="gpu")
    async with asyncio.timeout(5):
        outcomes = await asyncio.gather(
            writer.submit(named("a"), SLOTS),
            writer.submit(bad, SLOTS),
            writer.submit(named("c"), SLOTS),
            return_exceptions=True,
        )
    assert isinstance(outcomes[1], SessionReferenceError)
    assert not isinstance(outcomes[0], BaseException)
    assert not isinstance(outcomes[2], BaseException)
    assert repository.batches == [["a", "c"]]


async def test_the_pending_limit_counts_submissions_admitted_earlier_in_the_batch() -> None:
    # max_pending_session_count 1 and nothing pending yet: the first of three concurrent
    # submissions fills the queue (0 + 1 <= 1), the next two would make it 2 > 1.
    repository = BatchRecordingRepository(
        replace(CONTEXT, keypair_policy=ONE_PENDING, pending=PendingStats())
    )
    outcomes = await submit_all(writer_for(repository), ["first", "second", "third"])
    assert not isinstance(outcomes[0], BaseException)
    assert all(isinstance(o, PendingSessionCountLimitExceeded) for o in outcomes[1:])
    assert repository.batches == [["first"]]


async def test_a_failing_batch_is_retried_one_by_one_so_only_the_culprit_fails() -> None:
    repository = BatchRecordingRepository()
    repository.broken = {"dup"}
    outcomes = await submit_all(writer_for(repository), ["a", "dup", "c"])
    assert isinstance(outcomes[1], RuntimeError)
    assert not isinstance(outcomes[0], BaseException)
    assert not isinstance(outcomes[2], BaseException)
    assert repository.batches == [["a"], ["c"]]


async def test_a_caller_cancelled_before_its_batch_starts_gets_nothing_written() -> None:
    repository = BatchRecordingRepository()
    writer = writer_for(repository)
    kept = asyncio.create_task(writer.submit(named("kept"), SLOTS))
    dropped = asyncio.create_task(writer.submit(named("dropped"), SLOTS))
    await asyncio.sleep(0)  # both are queued, the writer has not run yet
    dropped.cancel()
    async with asyncio.timeout(5):
        await kept
    with pytest.raises(asyncio.CancelledError):
        await dropped
    assert repository.batches == [["kept"]]
