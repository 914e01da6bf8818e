"""A status change a whole batch shares, written set-based: no rows read back into Python.

Most of the coordinator's transitions move every session of a batch the same way (one
target, one kernel target, one reason, from one status), and neither the sessions nor their
agents gain or lose occupancy on the way (PREPARED → CREATING, CREATING → RUNNING, …). For
such a change the general path's work (lock and read every session and kernel row, derive
the new rows in Python, diff and write them back) comes to two guarded UPDATEs:

- the sessions still in the expected status (or already in the target one) take the target
  status and the reason; status_changed moves only when the status does; RETURNING tells
  which sessions the change applied to;
- their kernels that may move (`movable_kernel_statuses`) take the kernel target.

That is exactly what the general path writes for these changes, except that it also
re-settles each touched session's occupying_slots from its kernels, which can only differ
here if the stored value had drifted (occupancy is derived from kernels in every write).
A change that moves a kernel into or out of the resource-occupying statuses is left to the
general path, which settles sessions' and agents' occupancy; so is a change from a status
that holds nothing (PENDING → SCHEDULED) unless every session has already arrived (placing
sessions moves them to SCHEDULED itself; the coordinator's change then records the step),
and every other change.

SQLite only: its transaction holds the one write lock throughout, so the order in which
rows are updated cannot matter. On PostgreSQL the general path locks rows in one global
order (sessions, kernels, agents, each by id), which set-based UPDATEs would not follow.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from sokovan.common.ids import AccessKey, SessionId
from sokovan.common.status import KernelStatus, SessionStatus
from sokovan.db import tables as t
from sokovan.db.planner_hints import not_indexed
from sokovan.repositories.scheduler.write_bulk import id_filters
from sokovan.repositories.scheduler.write_specs import SessionStatusChange
from sokovan.repositories.scheduler.write_transitions import movable_kernel_statuses

_S = t.sessions.c
_K = t.kernels.c
_OCCUPYING_SESSION = SessionStatus.resource_occupied_statuses()
_OCCUPYING_KERNEL = KernelStatus.resource_occupied_statuses()


def uniform_change(changes: Sequence[SessionStatusChange]) -> SessionStatusChange | None:
    """The change every one of `changes` makes, if it is one this module can write; else None.

    Eligible: one change per session, all alike, with a target, a kernel target, a reason and
    an expected status, where the target and the kernel target hold resources (so that the
    sessions' own occupancy stays what it is; an expected status that holds nothing is
    checked when the change is applied).
    """
    if not changes:
        return None
    first = changes[0]
    shape = (first.to_status, first.kernel_to_status, first.reason, first.expected_status)
    if any(
        (change.to_status, change.kernel_to_status, change.reason, change.expected_status) != shape
        for change in changes
    ):
        return None
    if len({change.session_id for change in changes}) != len(changes):
        return None
    if first.reason is None or first.kernel_to_status not in _OCCUPYING_KERNEL:
        return None
    if first.to_status not in _OCCUPYING_SESSION or first.expected_status is None:
        return None
    return first


async def apply_uniform_change(
    conn: AsyncConnection,
    change: SessionStatusChange,
    session_ids: Collection[SessionId],
    now: datetime,
) -> tuple[set[SessionId], set[AccessKey]] | None:
    """Apply `change` (from `uniform_change`) to `session_ids` on the caller's transaction.

    Returns the sessions it applied to and their owners' access keys; None, having written
    nothing, when some session or kernel would enter or leave the resource-occupying
    statuses (the caller then takes the general path).
    """
    to_status, kernel_to_status = change.to_status, change.kernel_to_status
    # uniform_change admits only changes with both targets and an expected status.
    assert to_status is not None
    assert kernel_to_status is not None
    assert change.expected_status is not None
    movable = movable_kernel_statuses(kernel_to_status)
    if await _any_in(conn, _K.session_id, session_ids, movable - _OCCUPYING_KERNEL):
        return None
    if change.expected_status not in _OCCUPYING_SESSION and await _any_in(
        conn, _S.id, session_ids, [change.expected_status]
    ):
        return None
    applied: dict[SessionId, AccessKey] = {}
    status_changed = sa.case(
        (_S.status == to_status, _S.status_changed),
        else_=sa.bindparam(None, now, type_=_S.status_changed.type),
    )
    for matching in id_filters(conn, _S.id, session_ids):
        rows = await conn.execute(
            t.sessions.update()
            .where(matching, not_indexed(_S.status).in_([change.expected_status, to_status]))
            .values(status=to_status, status_info=change.reason, status_changed=status_changed)
            .returning(_S.id, _S.access_key)
        )
        # The typed ids are NewTypes of what the rows hold; unpacking beats attribute access.
        applied.update({session_id: access_key for session_id, access_key in rows})
    for matching in id_filters(conn, _K.session_id, applied.keys()):
        await conn.execute(
            t.kernels.update()
            .where(matching, not_indexed(_K.status).in_(sorted(movable)))
            .values(status=kernel_to_status, status_info=change.reason, status_changed=now)
        )
    return set(applied), set(applied.values())


async def _any_in(
    conn: AsyncConnection,
    of_session: sa.Column[Any],
    session_ids: Collection[SessionId],
    wanted: Collection[KernelStatus] | Collection[SessionStatus],
) -> bool:
    """Whether a row of `of_session`'s table for one of the sessions has a `wanted` status."""
    if not wanted:
        return False
    status = of_session.table.c.status
    for matching in id_filters(conn, of_session, session_ids):
        found = await conn.scalar(
            sa.select(of_session).where(matching, not_indexed(status).in_(sorted(wanted))).limit(1)
        )
        if found is not None:
            return True
    return False
