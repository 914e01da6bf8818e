"""Group commit of submissions: concurrent `enqueue_session` calls share one transaction.

One transaction per submission makes the database's single writer the limit under load (a
few dozen commits per second on SQLite while the scheduler competes for the same writer).
Here one writer task takes every submission waiting at that moment, reads the facts each
distinct lookup needs once, checks the submissions in arrival order and inserts the admitted
ones together. An idle system still writes a lone submission at once; a busy one amortises
the reads and the commit over the whole batch.

Each caller gets exactly what it would have got alone: its own session id, or the error its
own submission raised. Admission counts the submissions admitted earlier in the same batch,
so a keypair's pending limits hold for submissions that arrive together.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from sokovan.common.clock import Clock
from sokovan.common.ids import AccessKey, SessionId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.infra.batching import GroupCommit, Pending
from sokovan.repositories.scheduler.snapshot_types import PendingStats
from sokovan.repositories.scheduler.write_enqueue import (
    EnqueueContext,
    EnqueueLookup,
    SessionEnqueueRecord,
)
from sokovan.scheduling_controller.types import SessionCreationSpec
from sokovan.scheduling_controller.validation import check_admission, check_references, lookup_of

#: Most submissions written in one transaction; more wait for the next one.
MAX_BATCH = 256


class SubmissionRepository(Protocol):
    """What submitting reads and writes (`SchedulerRepository` fits)."""

    async def get_enqueue_context(self, lookup: EnqueueLookup) -> EnqueueContext: ...

    async def enqueue_sessions(self, records: Sequence[SessionEnqueueRecord]) -> None: ...


RecordBuilder = Callable[[SessionCreationSpec, tuple[ResourceSlot, ...]], SessionEnqueueRecord]


@dataclass(frozen=True, slots=True)
class _Submission:
    spec: SessionCreationSpec
    slots: tuple[ResourceSlot, ...]


_Pending = Pending[_Submission, SessionId]
_Admitted = list[tuple[_Pending, SessionEnqueueRecord]]


class SubmissionWriter:
    """Checks and writes submissions in batches; `submit` returns once its batch committed."""

    def __init__(
        self,
        repository: SubmissionRepository,
        build_record: RecordBuilder,
        clock: Clock,
        max_batch: int = MAX_BATCH,
    ) -> None:
        self._repository = repository
        self._build_record = build_record
        self._clock = clock
        self._batches: GroupCommit[_Submission, SessionId] = GroupCommit(
            self._write, max_batch=max_batch, name="submission-writer"
        )

    async def submit(self, spec: SessionCreationSpec, slots: tuple[ResourceSlot, ...]) -> SessionId:
        """Check `spec` (whose kernels request `slots`) against the database and write it."""
        return await self._batches.submit(_Submission(spec, slots))

    async def _write(self, batch: Sequence[_Pending]) -> None:
        admitted = await self._admit(batch)
        try:
            await self._repository.enqueue_sessions([record for _, record in admitted])
        except Exception as exc:
            if len(admitted) == 1:
                admitted[0][0].fail(exc)
                return
            # Some row failed the batch (e.g. a duplicate id): write each alone, so that only
            # the submission at fault sees the error.
            for pending, record in admitted:
                try:
                    await self._repository.enqueue_sessions([record])
                except Exception as alone:
                    pending.fail(alone)
                else:
                    pending.succeed(record.session_id)
            return
        for pending, record in admitted:
            pending.succeed(record.session_id)

    async def _admit(self, batch: Sequence[_Pending]) -> _Admitted:
        """The submissions that pass their checks, as records; the others get their error."""
        contexts: dict[EnqueueLookup, EnqueueContext] = {}
        admitted_pending: defaultdict[AccessKey, PendingStats] = defaultdict(PendingStats)
        admitted: _Admitted = []
        now = self._clock.now()
        for pending in batch:
            submission = pending.item
            try:
                lookup = lookup_of(submission.spec)
                context = contexts.get(lookup)
                if context is None:
                    context = contexts[lookup] = await self._repository.get_enqueue_context(lookup)
                check_references(submission.spec, submission.slots, context)
                record = self._build_record(submission.spec, submission.slots)
                earlier = admitted_pending[record.access_key]
                check_admission(record, _with_pending(context, earlier), now)
            except Exception as exc:
                pending.fail(exc)
                continue
            admitted_pending[record.access_key] = PendingStats(
                earlier.count + 1, earlier.slots + record.requested_slots
            )
            admitted.append((pending, record))
        return admitted


def _with_pending(context: EnqueueContext, earlier: PendingStats) -> EnqueueContext:
    """`context` as if the submissions admitted earlier in the batch were already PENDING."""
    if earlier.count == 0:
        return context
    pending = PendingStats(
        context.pending.count + earlier.count, context.pending.slots + earlier.slots
    )
    return dataclasses.replace(context, pending=pending)
