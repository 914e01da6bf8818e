"""GroupCommit: batches of concurrent calls, and no caller ever left hanging."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from sokovan.infra.batching import GroupCommit, Pending, UnsettledItemError


class Doubler:
    """Answers each item with twice its value; records the batches it saw."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []

    async def handle(self, batch: Sequence[Pending[int, int]]) -> None:
        self.batches.append([pending.item for pending in batch])
        for pending in batch:
            if pending.item < 0:
                pending.fail(ValueError(f"negative: {pending.item}"))
            else:
                pending.succeed(2 * pending.item)


async def gather(group: GroupCommit[int, int], items: Sequence[int]) -> list[object]:
    async with asyncio.timeout(5):
        return await asyncio.gather(*(group.submit(i) for i in items), return_exceptions=True)


async def test_concurrent_calls_form_batches_in_arrival_order_capped_at_max_batch() -> None:
    doubler = Doubler()
    group = GroupCommit(doubler.handle, max_batch=3, name="t")
    assert await gather(group, [1, 2, 3, 4]) == [2, 4, 6, 8]
    assert doubler.batches == [[1, 2, 3], [4]]


async def test_each_caller_gets_its_own_error() -> None:
    doubler = Doubler()
    outcomes = await gather(GroupCommit(doubler.handle, max_batch=8, name="t"), [1, -1, 3])
    assert (outcomes[0], outcomes[2]) == (2, 6)
    assert isinstance(outcomes[1], ValueError)


async def test_a_later_call_starts_a_new_batch_after_the_worker_finished() -> None:
    doubler = Doubler()
    group = GroupCommit(doubler.handle, max_batch=8, name="t")
    assert await gather(group, [1]) == [2]
    assert await gather(group, [5]) == [10]
    assert doubler.batches == [[1], [5]]


async def test_items_the_handler_leaves_unsettled_fail_instead_of_hanging() -> None:
    async def forgetful(batch: Sequence[Pending[int, int]]) -> None:
        batch[0].succeed(0)

    outcomes = await gather(GroupCommit(forgetful, max_batch=8, name="t"), [1, 2])
    assert outcomes[0] == 0
    assert isinstance(outcomes[1], UnsettledItemError)


async def test_a_handler_that_raises_fails_every_caller_of_the_batch() -> None:
    async def broken(batch: Sequence[Pending[int, int]]) -> None:
        raise RuntimeError("handler bug")

    group = GroupCommit(broken, max_batch=8, name="t")
    outcomes = await gather(group, [1, 2])
    assert all(isinstance(o, RuntimeError) for o in outcomes)


def test_max_batch_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        GroupCommit(Doubler().handle, max_batch=0, name="t")
