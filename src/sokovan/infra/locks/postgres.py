"""Cluster-wide locks as PostgreSQL session-level advisory locks.

Each acquisition takes a dedicated pooled connection and keeps it for as long as the lock is
held; nothing else runs on it. Inside its (otherwise empty) transaction:

- `lock_timeout` bounds the wait in `pg_advisory_lock`: past the factory's `acquire_timeout`
  the server cancels the wait (SQLSTATE 55P03) and entering raises `TimeoutError`;
- `idle_in_transaction_session_timeout` enforces the lifetime on the server: the connection
  sits idle in its transaction while the caller's step runs, so a holder that outlives
  `lifetime` has its session ended by PostgreSQL, which releases the lock even when the
  holding manager is frozen or cut off. The transaction only ran `set_config` and the lock
  call, so it holds no snapshot or transaction id that could hold back vacuum meanwhile.

Both settings are transaction-local (`set_config(..., true)`): they never leak into other
uses of the pooled connection. On exit, normal or not, the lock is released with
`pg_advisory_unlock`; if that cannot be confirmed, the connection is discarded, since ending
the session is what releases a session-level lock for certain.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from sokovan.infra.locks.base import LockID

log = logging.getLogger(__name__)

#: SQLSTATE lock_not_available: the lock wait ran into `lock_timeout`.
_LOCK_NOT_AVAILABLE = "55P03"


def _milliseconds(seconds: float) -> str:
    # 0 disables either timeout, so a positive duration never rounds down to "forever".
    return str(max(1, round(seconds * 1000)))


class PostgresAdvisoryLockFactory:
    """A `LockFactory` over `pg_advisory_lock`, shared by every manager using the database.

    `acquire_timeout`: as for `LocalLockFactory`, entering raises `TimeoutError` when the lock
    is not obtained within that many seconds; None waits without limit.
    """

    def __init__(self, engine: AsyncEngine, acquire_timeout: float | None = None) -> None:
        self._engine = engine
        self._acquire_timeout = acquire_timeout

    @asynccontextmanager
    async def __call__(self, lock_id: LockID, lifetime: float) -> AsyncIterator[None]:
        async with self._engine.connect() as conn:
            await self._acquire(conn, lock_id, lifetime)
            try:
                yield
            finally:
                await _release(conn, lock_id)

    async def _acquire(self, conn: AsyncConnection, lock_id: LockID, lifetime: float) -> None:
        wait = "0" if self._acquire_timeout is None else _milliseconds(self._acquire_timeout)
        await conn.execute(
            sa.select(
                sa.func.set_config("lock_timeout", wait, True),
                sa.func.set_config(
                    "idle_in_transaction_session_timeout", _milliseconds(lifetime), True
                ),
            )
        )
        try:
            await conn.execute(sa.select(sa.func.pg_advisory_lock(int(lock_id))))
        except DBAPIError as exc:
            if getattr(exc.orig, "sqlstate", None) != _LOCK_NOT_AVAILABLE:
                raise
            raise TimeoutError(
                f"lock {lock_id.name} still held after {self._acquire_timeout} s; "
                "the step is skipped until its next cycle"
            ) from None


async def _release(conn: AsyncConnection, lock_id: LockID) -> None:
    """Unlock; never leaves the lock held on a connection that goes back to the pool."""
    try:
        released = await conn.scalar(sa.select(sa.func.pg_advisory_unlock(int(lock_id))))
    except DBAPIError:
        # The usual cause: the server ended the session because the lifetime ran out, which
        # released the lock already. SQLAlchemy has invalidated the connection if it is gone.
        log.warning("lock %s was lost before release (lifetime exceeded?)", lock_id.name)
        await _discard(conn)
        return
    except asyncio.CancelledError:
        await _discard(conn)
        raise
    if not released:
        log.warning("lock %s was not held at release", lock_id.name)


async def _discard(conn: AsyncConnection) -> None:
    """Close the connection's session (releasing its advisory locks) instead of pooling it."""
    if not conn.invalidated:
        await conn.invalidate()
