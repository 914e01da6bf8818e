"""Group commit: calls that arrive while a batch is being handled are handled together next.

Concurrent callers each `submit` one item and await its own outcome. One task handles every
item waiting at that moment as a batch, then the items that arrived meanwhile, and so on,
and exits when none are left. A lone call is handled at once; under load, whatever the batch
handler costs per call (a transaction, a query) is paid once per batch instead.

The handler must settle every pending item's outcome (`Pending.succeed` / `Pending.fail`);
an item it leaves unsettled fails with `UnsettledItemError`, so that no caller ever hangs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class UnsettledItemError(RuntimeError):
    """The batch handler returned without settling this item: a bug in the handler."""


@dataclass(frozen=True, slots=True)
class Pending(Generic[T, R]):
    """One caller's item and the outcome it awaits."""

    item: T
    outcome: asyncio.Future[R]

    def succeed(self, result: R) -> None:
        # The caller may have been cancelled meanwhile; there is nobody left to tell.
        if not self.outcome.done():
            self.outcome.set_result(result)

    def fail(self, exc: BaseException) -> None:
        if self.outcome.done():
            return
        if isinstance(exc, asyncio.CancelledError):
            self.outcome.cancel()
        else:
            self.outcome.set_exception(exc)


BatchHandler = Callable[[Sequence[Pending[T, R]]], Awaitable[None]]


class GroupCommit(Generic[T, R]):
    """Hands concurrent `submit` calls to `handle` in batches of at most `max_batch` items."""

    def __init__(self, handle: BatchHandler[T, R], *, max_batch: int, name: str) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self._handle = handle
        self._max_batch = max_batch
        self._name = name
        self._waiting: list[Pending[T, R]] = []
        self._worker: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> R:
        """Wait until the batch holding `item` has been handled; its outcome, or its error."""
        pending: Pending[T, R] = Pending(item, asyncio.get_running_loop().create_future())
        self._waiting.append(pending)
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._drain(), name=self._name)
        return await pending.outcome

    async def _drain(self) -> None:
        while self._waiting:
            taken = self._waiting[: self._max_batch]
            del self._waiting[: self._max_batch]
            # A caller that gave up before its batch started needs nothing done.
            batch = [pending for pending in taken if not pending.outcome.done()]
            if not batch:
                continue
            try:
                await self._handle(batch)
            except asyncio.CancelledError as exc:
                for pending in (*batch, *self._waiting):
                    pending.fail(exc)
                self._waiting.clear()
                raise
            except Exception as exc:
                # The handler settles its items' errors itself; one that escapes it is a bug,
                # which its callers get to see (and the next batch tries again).
                for pending in batch:
                    pending.fail(exc)
            for pending in batch:
                pending.fail(UnsettledItemError(f"{self._name}: item left unsettled"))
