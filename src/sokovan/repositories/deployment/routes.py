"""Route rows: creation, reads by status, status and session writes, session statuses."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import sqlalchemy as sa

from sokovan.common.errors import NotFoundError
from sokovan.common.ids import DeploymentId, RouteId, SessionId, new_route_id
from sokovan.common.status import RouteStatus, SessionStatus
from sokovan.db import tables as t
from sokovan.repositories.base import RepositoryBase
from sokovan.repositories.deployment.rows import route_from_row
from sokovan.repositories.deployment.types import RouteData
from sokovan.repositories.deployment.validation import check_route_count


class RoutesMixin(RepositoryBase):
    async def create_routes(self, endpoint_id: DeploymentId, count: int) -> list[RouteId]:
        """Insert `count` PROVISIONING routes (no session yet) for a deployment.

        Raises InvalidInputError for a negative count and NotFoundError for an unknown
        deployment; nothing is written in either case.
        """
        check_route_count(count)
        if count == 0:
            return []
        now = self._clock.now()
        route_ids = [new_route_id() for _ in range(count)]
        async with self._engine.begin() as conn:
            known = await conn.scalar(
                sa.select(sa.exists().where(t.deployments.c.id == endpoint_id))
            )
            if not known:
                raise NotFoundError(f"cannot create routes: deployment {endpoint_id} not found")
            await conn.execute(
                t.routes.insert(),
                [
                    {
                        "id": route_id,
                        "endpoint_id": endpoint_id,
                        "session_id": None,
                        "status": RouteStatus.PROVISIONING,
                        "traffic_ratio": 1.0,
                        "created_at": now,
                        "status_changed": now,
                    }
                    for route_id in route_ids
                ],
            )
        return route_ids

    async def get_routes_by_statuses(
        self,
        statuses: Collection[RouteStatus],
        endpoint_ids: Collection[DeploymentId] | None = None,
    ) -> list[RouteData]:
        """Routes in any of `statuses`, optionally of the given deployments; oldest first."""
        if not statuses or (endpoint_ids is not None and not endpoint_ids):
            return []
        query = sa.select(t.routes).where(t.routes.c.status.in_(list(statuses)))
        if endpoint_ids is not None:
            query = query.where(t.routes.c.endpoint_id.in_(list(endpoint_ids)))
        query = query.order_by(t.routes.c.created_at, t.routes.c.id)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [route_from_row(row) for row in rows]

    async def update_route_status(
        self,
        route_ids: Collection[RouteId],
        to_status: RouteStatus,
        error_data: Mapping[str, Any] | None = None,
        *,
        from_statuses: Collection[RouteStatus] | None = None,
    ) -> int:
        """Set the status (and `error_data`, None clearing it) of routes; returns the count.

        `status_changed` moves only for routes whose status actually changes, so repeated
        health verdicts do not reset how long a route has been in its status. With
        `from_statuses`, only routes currently in one of them are touched (for example, so a
        late health verdict cannot revive a TERMINATED route).
        """
        if not route_ids or (from_statuses is not None and not from_statuses):
            return 0
        routes = t.routes
        stmt = (
            routes.update()
            .where(routes.c.id.in_(list(route_ids)))
            .values(
                status=to_status,
                error_data=None if error_data is None else dict(error_data),
                status_changed=sa.case(
                    (
                        routes.c.status != to_status,
                        sa.literal(self._clock.now(), routes.c.status_changed.type),
                    ),
                    else_=routes.c.status_changed,
                ),
            )
        )
        if from_statuses is not None:
            stmt = stmt.where(routes.c.status.in_(list(from_statuses)))
        async with self._engine.begin() as conn:
            result = await conn.execute(stmt)
        return result.rowcount

    async def update_route_sessions(self, route_sessions: Mapping[RouteId, SessionId]) -> None:
        """Link each route to its replica session, in one executemany.

        Raises NotFoundError, linking none of them, when a session does not exist.
        """
        if not route_sessions:
            return
        params = [
            {"b_route_id": route_id, "b_session_id": session_id}
            for route_id, session_id in route_sessions.items()
        ]
        stmt = (
            t.routes.update()
            .where(t.routes.c.id == sa.bindparam("b_route_id"))
            .values(session_id=sa.bindparam("b_session_id"))
        )
        try:
            async with self._engine.begin() as conn:
                await conn.execute(stmt, params)
        except sa.exc.IntegrityError:
            # The session foreign key is the only constraint this update can break.
            raise NotFoundError(
                "cannot link routes to sessions: at least one of the sessions "
                f"{sorted(str(s) for s in route_sessions.values())} does not exist"
            ) from None

    async def fetch_session_statuses_by_route_ids(
        self, route_ids: Collection[RouteId]
    ) -> dict[RouteId, SessionStatus]:
        """The status of each route's session; routes without a (surviving) session are absent."""
        if not route_ids:
            return {}
        query = (
            sa.select(t.routes.c.id, t.sessions.c.status)
            .join(t.sessions, t.sessions.c.id == t.routes.c.session_id)
            .where(t.routes.c.id.in_(list(route_ids)))
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return {RouteId(route_id): status for route_id, status in rows}
