"""In-process locks for the embedded mode: one manager, so asyncio is enough.

Each `LockID` has at most one holder, with an expiry: a holder that keeps the lock past its
`lifetime` no longer excludes others (the next acquirer takes the lock over), mirroring what
the PostgreSQL backend does when the server ends an overdue holder's session. The overdue
holder is not interrupted; its eventual release is a no-op, logged as a warning.

Waiters are woken when the lock is released or when the holder's lifetime runs out, whichever
comes first; among several waiters the first to run takes the lock.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass

from sokovan.infra.locks.base import LockID

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Hold:
    #: Identifies one acquisition, so that an overdue holder cannot release its successor.
    token: object
    #: Loop time after which the hold no longer excludes others.
    expires_at: float


class LocalLockFactory:
    """A `LockFactory` of asyncio-level locks with an enforced lifetime.

    `acquire_timeout` bounds how long entering waits: past it, entering raises `TimeoutError`
    and the caller's step is skipped (its next cycle tries again). None waits as long as it
    takes; holders' lifetimes still bound that wait unless others keep taking the lock.
    """

    def __init__(self, acquire_timeout: float | None = None) -> None:
        self._acquire_timeout = acquire_timeout
        self._holds: dict[LockID, _Hold] = {}
        self._released: dict[LockID, asyncio.Event] = {}

    @asynccontextmanager
    async def __call__(self, lock_id: LockID, lifetime: float) -> AsyncIterator[None]:
        token = object()
        await self._acquire(lock_id, token, lifetime)
        try:
            yield
        finally:
            self._release(lock_id, token)

    async def _acquire(self, lock_id: LockID, token: object, lifetime: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = None if self._acquire_timeout is None else loop.time() + self._acquire_timeout
        while True:
            now = loop.time()
            hold = self._holds.get(lock_id)
            if hold is None or hold.expires_at <= now:
                if hold is not None:
                    log.warning("lock %s: holder outlived its lifetime; taking it over", lock_id)
                self._holds[lock_id] = _Hold(token, now + lifetime)
                return
            if deadline is not None and now >= deadline:
                raise TimeoutError(
                    f"lock {lock_id.name} still held after {self._acquire_timeout} s; "
                    "the step is skipped until its next cycle"
                )
            wake_at = hold.expires_at if deadline is None else min(hold.expires_at, deadline)
            await self._wait_for_release(lock_id, wake_at - now)

    async def _wait_for_release(self, lock_id: LockID, delay: float) -> None:
        released = self._released.setdefault(lock_id, asyncio.Event())
        with suppress(TimeoutError):
            async with asyncio.timeout(delay):
                await released.wait()

    def _release(self, lock_id: LockID, token: object) -> None:
        hold = self._holds.get(lock_id)
        if hold is None or hold.token is not token:
            log.warning("lock %s was taken over after its lifetime ran out", lock_id)
            return
        if hold.expires_at <= asyncio.get_running_loop().time():
            log.warning("lock %s: released after its lifetime ran out", lock_id)
        del self._holds[lock_id]
        # A fresh event for the next round of waiters; setting the old one wakes this round.
        released = self._released.pop(lock_id, None)
        if released is not None:
            released.set()
