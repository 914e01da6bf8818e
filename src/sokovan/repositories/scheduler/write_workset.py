"""A locked set of sessions with all their kernels, and committing a changed copy of it.

Writers lock a `Workset`, derive the new rows in pure code, and hand both versions to
`commit_workset`, which writes only what differs, keeps each touched session's
occupying_slots equal to what its kernels hold, and refreshes the occupancy of every agent a
kernel change affects, all on the caller's transaction. (Allocation, which derives exactly the
rows it changes and already knows the agents' new occupancy, writes its pairs of rows with
`write_rows` directly and the agents itself.)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from sokovan.common.ids import AccessKey, AgentId, KernelId, SessionId
from sokovan.repositories.occupancy import refresh_agent_occupancy
from sokovan.repositories.scheduler.write_rows import (
    KernelRow,
    SessionRow,
    lock_kernel_rows,
    lock_session_rows,
    write_kernel_changes,
    write_session_changes,
)
from sokovan.repositories.scheduler.write_transitions import (
    agents_to_refresh,
    settle_session_occupancy,
)


@dataclass(frozen=True, slots=True)
class Workset:
    sessions: Mapping[SessionId, SessionRow]
    kernels: Mapping[KernelId, KernelRow]
    #: Kernel ids of each session (a kernel never changes session).
    kernel_ids: Mapping[SessionId, tuple[KernelId, ...]]

    def kernels_of(self, session_id: SessionId) -> list[KernelRow]:
        return [self.kernels[kernel_id] for kernel_id in self.kernel_ids.get(session_id, ())]

    def updated(
        self,
        sessions: Mapping[SessionId, SessionRow] | None = None,
        kernels: Mapping[KernelId, KernelRow] | None = None,
    ) -> Workset:
        """A copy with the given rows replaced (rows must belong to this workset)."""
        return Workset(
            sessions={**self.sessions, **(sessions or {})},
            kernels={**self.kernels, **(kernels or {})},
            kernel_ids=self.kernel_ids,
        )


async def lock_workset(conn: AsyncConnection, session_ids: Collection[SessionId]) -> Workset:
    """Lock the existing sessions among `session_ids`, then all of their kernels."""
    sessions = await lock_session_rows(conn, session_ids)
    kernels = await lock_kernel_rows(conn, sessions.keys())
    kernel_ids: dict[SessionId, list[KernelId]] = defaultdict(list)
    for kernel in kernels:
        kernel_ids[kernel.session_id].append(kernel.id)
    return Workset(
        sessions=sessions,
        kernels={kernel.id: kernel for kernel in kernels},
        kernel_ids={session_id: tuple(ids) for session_id, ids in kernel_ids.items()},
    )


@dataclass(frozen=True, slots=True)
class WrittenChanges:
    #: Owners of the touched sessions (whose cached occupancy is now stale).
    access_keys: frozenset[AccessKey]
    #: Agents whose occupancy the kernel changes affect.
    agents: frozenset[AgentId]


async def _write_workset(conn: AsyncConnection, before: Workset, after: Workset) -> WrittenChanges:
    """Write what differs between `before` and `after`, except the agents' occupancy.

    A session is touched when its row or one of its kernels changed; its occupying_slots is
    then settled from its kernels. Rows `after` shares with `before` are skipped unread, and
    of the others only the changed columns are written.
    """
    kernel_changes = [
        (before.kernels[row.id], row)
        for row in after.kernels.values()
        if row is not before.kernels[row.id]
    ]
    touched = {row.id for row in after.sessions.values() if row is not before.sessions[row.id]}
    agents: set[AgentId] = set()
    for old, new in kernel_changes:
        agents |= agents_to_refresh(old, new)
        touched.add(new.session_id)
    session_changes = [
        (
            before.sessions[session_id],
            settle_session_occupancy(after.sessions[session_id], after.kernels_of(session_id)),
        )
        for session_id in touched
    ]
    await write_kernel_changes(conn, kernel_changes)
    await write_session_changes(conn, session_changes)
    return WrittenChanges(
        frozenset(after.sessions[session_id].access_key for session_id in touched),
        frozenset(agents),
    )


async def commit_workset(conn: AsyncConnection, before: Workset, after: Workset) -> set[AccessKey]:
    """`_write_workset`, then refresh the affected agents' occupancy from their kernels.

    Returns the access keys of the touched sessions.
    """
    written = await _write_workset(conn, before, after)
    if written.agents:
        await refresh_agent_occupancy(conn, written.agents)
    return set(written.access_keys)
