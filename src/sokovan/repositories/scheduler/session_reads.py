"""What the scheduler's handlers read: sessions and kernels by condition, and the per-phase data
the launcher and terminator need.

Every method runs a fixed number of set-based statements on one short read connection: the
sessions first, then all their kernels at once, then the images those kernels use.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from itertools import chain

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from sokovan.common.ids import AccessKey, GroupId, SessionId, UserId
from sokovan.common.status import SessionStatus
from sokovan.db import tables as t
from sokovan.repositories.base import RepositoryBase
from sokovan.repositories.scheduler.condition_sql import kernel_where
from sokovan.repositories.scheduler.conditions import KernelQuerier, SessionQuerier
from sokovan.repositories.scheduler.read_fetch import (
    fetch_image_configs,
    fetch_kernels_of,
    in_given_order,
    session_search,
)
from sokovan.repositories.scheduler.read_rows import (
    KERNEL_INFO_COLUMNS,
    SESSION_INFO_COLUMNS,
    AnyRow,
    kernel_binding,
    kernel_info_from_row,
    session_info_from_row,
)
from sokovan.repositories.scheduler.types import (
    KernelInfo,
    KernelSearchResult,
    PendingTimeoutSessionData,
    SessionDataForPull,
    SessionDataForStart,
    SessionInfo,
    SessionsForPullResult,
    SessionsWithUserResult,
    SessionWithKernels,
    TerminatingSessionData,
    UserData,
)


class SessionReadsMixin(RepositoryBase):
    async def get_schedulable_scaling_groups(self) -> list[str]:
        """Names of the active scaling groups, sorted."""
        groups = t.scaling_groups.c
        async with self._engine.connect() as conn:
            names = await conn.scalars(
                sa.select(groups.name).where(groups.is_active == sa.true()).order_by(groups.name)
            )
            return list(names)

    async def search_sessions_for_handler(self, querier: SessionQuerier) -> list[SessionInfo]:
        """Sessions matching every condition, by (created_at, id); `limit` counts sessions."""
        async with self._engine.connect() as conn:
            rows = await conn.execute(session_search(querier))
            return [session_info_from_row(row) for row in rows]

    async def search_sessions_with_kernels_for_handler(
        self, querier: SessionQuerier
    ) -> list[SessionWithKernels]:
        """As `search_sessions_for_handler`, each with all its kernels by cluster_idx.

        History-derived fields are left at their defaults; the coordinator fills them.
        """
        async with self._engine.connect() as conn:
            rows = await conn.execute(session_search(querier))
            sessions = [session_info_from_row(row) for row in rows]
            kernels = await fetch_kernels_of(conn, [s.session_id for s in sessions])
        return [SessionWithKernels(s, kernels.get(s.session_id, ())) for s in sessions]

    async def search_kernels_for_handler(self, querier: KernelQuerier) -> KernelSearchResult:
        """Kernels matching every condition, by (created_at, session, cluster_idx)."""
        kernels = t.kernels.c
        statement = (
            sa.select(*KERNEL_INFO_COLUMNS)
            .where(*kernel_where(querier.conditions))
            .order_by(kernels.created_at, kernels.session_id, kernels.cluster_idx, kernels.id)
        )
        if querier.limit is not None:
            statement = statement.limit(querier.limit)
        async with self._engine.connect() as conn:
            rows = await conn.execute(statement)
            return KernelSearchResult([kernel_info_from_row(row) for row in rows])

    async def get_sessions_for_pull_by_ids(
        self, session_ids: Sequence[SessionId]
    ) -> SessionsForPullResult:
        """The sessions among `session_ids` (in that order; unknown ids are skipped) with their
        kernels' agent bindings, and the config of every image those kernels use that the
        images table knows."""
        if not session_ids:
            return SessionsForPullResult([], {})
        async with self._engine.connect() as conn:
            found = await _sessions_with_kernels(conn, session_ids)
            images = await fetch_image_configs(conn, _all_kernels(found))
        sessions = [
            SessionDataForPull(
                session_id=session.session_id,
                creation_id=session.creation_id,
                access_key=session.access_key,
                kernels=tuple(kernel_binding(kernel) for kernel in kernels),
            )
            for session, kernels in found
        ]
        return SessionsForPullResult(sessions, images)

    async def search_sessions_with_kernels_and_user(
        self, querier: SessionQuerier
    ) -> SessionsWithUserResult:
        """Matching sessions with kernels, owner, environment and network, plus image configs."""
        users, groups = t.users.c, t.groups.c
        statement = (
            session_search(querier)
            .add_columns(
                t.sessions.c.environ,
                t.sessions.c.network_type,
                t.sessions.c.network_id,
                users.email,
                users.username,
                users.domain_name.label("user_domain_name"),
                groups.name.label("group_name"),
            )
            .join(t.users, users.id == t.sessions.c.user_id)
            .join(t.groups, groups.id == t.sessions.c.group_id)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(statement)).all()
            kernels = await fetch_kernels_of(conn, [SessionId(row.id) for row in rows])
            images = await fetch_image_configs(conn, chain.from_iterable(kernels.values()))
        sessions = [_data_for_start(row, kernels.get(SessionId(row.id), ())) for row in rows]
        return SessionsWithUserResult(sessions, images)

    async def get_terminating_sessions_by_ids(
        self, session_ids: Sequence[SessionId]
    ) -> list[TerminatingSessionData]:
        """Those of `session_ids` (in that order) that are TERMINATING, with kernel bindings."""
        if not session_ids:
            return []
        terminating = t.sessions.c.status == SessionStatus.TERMINATING
        async with self._engine.connect() as conn:
            found = await _sessions_with_kernels(conn, session_ids, terminating)
        return [
            TerminatingSessionData(
                session_id=session.session_id,
                creation_id=session.creation_id,
                access_key=session.access_key,
                status=session.status,
                status_info=session.status_info,
                kernels=tuple(kernel_binding(kernel) for kernel in kernels),
            )
            for session, kernels in found
        ]

    async def get_pending_timeout_sessions_by_ids(
        self, session_ids: Sequence[SessionId]
    ) -> list[PendingTimeoutSessionData]:
        """Those of `session_ids` (in that order) that are PENDING for longer than their scaling
        group's pending_timeout (strictly, by the repository clock); groups without a timeout
        never time out."""
        if not session_ids:
            return []
        sessions, groups = t.sessions.c, t.scaling_groups.c
        statement = (
            sa.select(
                sessions.id,
                sessions.creation_id,
                sessions.access_key,
                sessions.scaling_group,
                sessions.created_at,
                groups.pending_timeout,
            )
            .join(t.scaling_groups, groups.name == sessions.scaling_group)
            .where(
                sessions.id.in_(sorted(set(session_ids))),
                sessions.status == SessionStatus.PENDING,
                groups.pending_timeout.is_not(None),
            )
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(statement)).all()
        # Compared here rather than in SQL: interval arithmetic differs between the backends.
        now = self._clock.now()
        expired = {
            SessionId(row.id): PendingTimeoutSessionData(
                session_id=SessionId(row.id),
                creation_id=row.creation_id,
                access_key=AccessKey(row.access_key),
                scaling_group=row.scaling_group,
                created_at=row.created_at,
                pending_timeout=row.pending_timeout,
            )
            for row in rows
            if now - row.created_at > timedelta(seconds=row.pending_timeout)
        }
        return in_given_order(session_ids, expired)


async def _sessions_with_kernels(
    conn: AsyncConnection, session_ids: Sequence[SessionId], *where: ColumnElement[bool]
) -> list[tuple[SessionInfo, tuple[KernelInfo, ...]]]:
    """The sessions among `session_ids` that satisfy `where`, in the order given, with kernels."""
    rows = await conn.execute(
        sa.select(*SESSION_INFO_COLUMNS).where(
            t.sessions.c.id.in_(sorted(set(session_ids))), *where
        )
    )
    found = {session.session_id: session for session in map(session_info_from_row, rows)}
    kernels = await fetch_kernels_of(conn, found.keys())
    return [(s, kernels.get(s.session_id, ())) for s in in_given_order(session_ids, found)]


def _all_kernels(
    found: Sequence[tuple[SessionInfo, tuple[KernelInfo, ...]]],
) -> chain[KernelInfo]:
    return chain.from_iterable(kernels for _, kernels in found)


def _data_for_start(row: AnyRow, kernels: tuple[KernelInfo, ...]) -> SessionDataForStart:
    return SessionDataForStart(
        session=session_info_from_row(row),
        kernels=kernels,
        user=UserData(
            user_id=UserId(row.user_id),
            email=row.email,
            username=row.username,
            domain_name=row.user_domain_name,
            group_id=GroupId(row.group_id),
            group_name=row.group_name,
        ),
        environ={str(key): str(value) for key, value in (row.environ or {}).items()},
        network_type=row.network_type,
        network_id=row.network_id,
    )
