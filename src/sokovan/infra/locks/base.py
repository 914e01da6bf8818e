"""The lock port.

Lock ids are integers so that the PostgreSQL backend can use them directly as advisory lock
keys; the in-process backend keys asyncio locks by them.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from enum import IntEnum
from typing import Protocol


class LockID(IntEnum):
    LOCKID_SOKOVAN_TARGET_PENDING = 91_001  #: placement of PENDING sessions
    LOCKID_SOKOVAN_TARGET_SCHEDULED = 91_002  #: precondition check of SCHEDULED sessions
    LOCKID_SOKOVAN_TARGET_PREPARED = 91_003  #: start of PREPARED sessions
    LOCKID_SOKOVAN_TARGET_TERMINATING = 91_004  #: termination RPCs
    LOCKID_SOKOVAN_TARGET_DEPRIORITIZING = 91_005  #: priority lowering
    LOCKID_SOKOVAN_SWEEP = 91_006  #: pending-timeout sweep
    LOCKID_SOKOVAN_STALE_KERNELS = 91_007  #: stale-kernel sweep


class LockFactory(Protocol):
    def __call__(self, lock_id: LockID, lifetime: float) -> AbstractAsyncContextManager[None]:
        """A context manager holding `lock_id` for at most `lifetime` seconds.

        Entering waits until the lock is free; a holder that outlives `lifetime` loses the
        lock (so a crashed manager cannot block the cluster forever).
        """
        ...
