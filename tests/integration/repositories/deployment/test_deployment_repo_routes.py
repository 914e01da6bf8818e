"""DeploymentRepository: routes, their sessions, and scaling groups' cleanup settings."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from sokovan.common.clock import ManualClock
from sokovan.common.errors import ConfigurationError, InvalidInputError, NotFoundError
from sokovan.common.ids import DeploymentId, RouteId, SessionId
from sokovan.common.status import RouteStatus, SessionStatus
from sokovan.db import tables as t
from sokovan.repositories.deployment import (
    CleanupConfig,
    DeploymentCreationSpec,
    DeploymentRepository,
)
from support.factories import T0, Tenant, add_scaling_group, add_session


async def _route_rows(engine: AsyncEngine) -> dict[RouteId, sa.Row[tuple[object, ...]]]:
    async with engine.connect() as conn:
        rows = (await conn.execute(sa.select(t.routes))).all()
    return {RouteId(row.id): row for row in rows}


async def test_create_routes_inserts_provisioning_routes_without_session(
    repo: DeploymentRepository, deployment_id: DeploymentId
) -> None:
    route_ids = await repo.create_routes(deployment_id, 3)

    routes = await repo.get_routes_by_statuses([RouteStatus.PROVISIONING])
    assert len(set(route_ids)) == 3
    assert {route.route_id for route in routes} == set(route_ids)
    for route in routes:
        assert route.endpoint_id == deployment_id
        assert route.session_id is None
        assert route.traffic_ratio == 1.0
        assert route.created_at == T0
        assert route.error_data is None


async def test_create_routes_with_zero_count_writes_nothing(
    repo: DeploymentRepository, deployment_id: DeploymentId, db_engine: AsyncEngine
) -> None:
    assert await repo.create_routes(deployment_id, 0) == []
    assert await _route_rows(db_engine) == {}


async def test_create_routes_rejects_negative_count_and_unknown_deployment(
    repo: DeploymentRepository, deployment_id: DeploymentId, db_engine: AsyncEngine
) -> None:
    with pytest.raises(InvalidInputError, match="0 or more"):
        await repo.create_routes(deployment_id, -1)
    with pytest.raises(NotFoundError, match="not found"):
        await repo.create_routes(DeploymentId(uuid.uuid4()), 2)

    assert await _route_rows(db_engine) == {}


async def test_get_routes_by_statuses_filters_by_status_and_endpoint(
    repo: DeploymentRepository,
    spec: DeploymentCreationSpec,
    deployment_id: DeploymentId,
    clock: ManualClock,
) -> None:
    other = await repo.create_deployment(spec)
    [a1, a2] = await repo.create_routes(deployment_id, 2)
    clock.advance(timedelta(seconds=1))
    [b1] = await repo.create_routes(other, 1)
    await repo.update_route_status([a2], RouteStatus.HEALTHY)

    provisioning = await repo.get_routes_by_statuses([RouteStatus.PROVISIONING])
    of_other = await repo.get_routes_by_statuses(
        RouteStatus.active_statuses(), endpoint_ids=[other]
    )
    healthy_of_first = await repo.get_routes_by_statuses(
        [RouteStatus.HEALTHY], endpoint_ids=[deployment_id]
    )

    assert [route.route_id for route in provisioning] == [a1, b1]
    assert [route.route_id for route in of_other] == [b1]
    assert [route.route_id for route in healthy_of_first] == [a2]
    assert await repo.get_routes_by_statuses([]) == []
    assert await repo.get_routes_by_statuses([RouteStatus.HEALTHY], endpoint_ids=[]) == []


async def test_update_route_status_moves_status_changed_only_on_change(
    repo: DeploymentRepository,
    deployment_id: DeploymentId,
    clock: ManualClock,
    db_engine: AsyncEngine,
) -> None:
    [healthy, unhealthy] = await repo.create_routes(deployment_id, 2)
    await repo.update_route_status([healthy], RouteStatus.HEALTHY)
    clock.advance(timedelta(seconds=30))

    count = await repo.update_route_status(
        [healthy, unhealthy], RouteStatus.UNHEALTHY, {"reason": "probe timed out"}
    )
    clock.advance(timedelta(seconds=30))
    again = await repo.update_route_status([unhealthy], RouteStatus.UNHEALTHY, {"reason": "again"})

    rows = await _route_rows(db_engine)
    assert (count, again) == (2, 1)
    assert rows[healthy].status is RouteStatus.UNHEALTHY
    assert rows[healthy].status_changed == T0 + timedelta(seconds=30)
    assert rows[unhealthy].status_changed == T0 + timedelta(seconds=30)
    assert rows[unhealthy].error_data == {"reason": "again"}
    assert rows[healthy].error_data == {"reason": "probe timed out"}


async def test_update_route_status_clears_error_data_and_honours_from_statuses(
    repo: DeploymentRepository, deployment_id: DeploymentId, db_engine: AsyncEngine
) -> None:
    [recovering, gone] = await repo.create_routes(deployment_id, 2)
    await repo.update_route_status([recovering], RouteStatus.UNHEALTHY, {"reason": "502"})
    await repo.update_route_status([gone], RouteStatus.TERMINATED)

    moved = await repo.update_route_status(
        [recovering, gone], RouteStatus.HEALTHY, from_statuses=RouteStatus.active_statuses()
    )

    rows = await _route_rows(db_engine)
    assert moved == 1
    assert (rows[recovering].status, rows[recovering].error_data) == (RouteStatus.HEALTHY, None)
    assert rows[gone].status is RouteStatus.TERMINATED
    assert await repo.update_route_status([], RouteStatus.HEALTHY) == 0
    assert await repo.update_route_status([gone], RouteStatus.HEALTHY, from_statuses=[]) == 0


async def test_update_route_sessions_links_each_route_to_its_session(
    repo: DeploymentRepository, deployment_id: DeploymentId, db_engine: AsyncEngine, tenant: Tenant
) -> None:
    [r1, r2, r3] = await repo.create_routes(deployment_id, 3)
    s1, _ = await add_session(db_engine, tenant)
    s2, _ = await add_session(db_engine, tenant)

    await repo.update_route_sessions({r1: s1, r2: s2})
    await repo.update_route_sessions({})

    rows = await _route_rows(db_engine)
    assert {route_id: row.session_id for route_id, row in rows.items()} == {
        r1: s1,
        r2: s2,
        r3: None,
    }


async def test_fetch_session_statuses_by_route_ids_omits_routes_without_session(
    repo: DeploymentRepository, deployment_id: DeploymentId, db_engine: AsyncEngine, tenant: Tenant
) -> None:
    [running, terminated, unlinked, orphaned] = await repo.create_routes(deployment_id, 4)
    s_running, _ = await add_session(db_engine, tenant, status=SessionStatus.RUNNING)
    s_done, _ = await add_session(db_engine, tenant, status=SessionStatus.TERMINATED)
    s_deleted, _ = await add_session(db_engine, tenant, status=SessionStatus.RUNNING)
    await repo.update_route_sessions({running: s_running, terminated: s_done, orphaned: s_deleted})
    async with db_engine.begin() as conn:
        await conn.execute(t.sessions.delete().where(t.sessions.c.id == s_deleted))

    statuses = await repo.fetch_session_statuses_by_route_ids(
        [running, terminated, unlinked, orphaned, RouteId(uuid.uuid4())]
    )

    assert statuses == {running: SessionStatus.RUNNING, terminated: SessionStatus.TERMINATED}
    assert await repo.fetch_session_statuses_by_route_ids([]) == {}


async def test_update_route_sessions_with_unknown_session_links_none(
    repo: DeploymentRepository, deployment_id: DeploymentId, db_engine: AsyncEngine, tenant: Tenant
) -> None:
    [good, bad] = await repo.create_routes(deployment_id, 2)
    session_id, _ = await add_session(db_engine, tenant)

    with pytest.raises(NotFoundError, match="does not exist"):
        await repo.update_route_sessions({good: session_id, bad: SessionId(uuid.uuid4())})

    rows = await _route_rows(db_engine)
    assert (rows[good].session_id, rows[bad].session_id) == (None, None)


async def test_get_scaling_group_cleanup_configs(
    repo: DeploymentRepository, db_engine: AsyncEngine
) -> None:
    await add_scaling_group(
        db_engine, "sg1", route_cleanup_target_statuses=["UNHEALTHY", "DEGRADED"]
    )
    await add_scaling_group(db_engine, "sg2", route_cleanup_target_statuses=[])

    configs = await repo.get_scaling_group_cleanup_configs(["sg1", "sg2", "unknown"])

    assert configs == {
        "sg1": CleanupConfig(
            scaling_group="sg1",
            cleanup_target_statuses=frozenset({RouteStatus.UNHEALTHY, RouteStatus.DEGRADED}),
        )
    }
    assert await repo.get_scaling_group_cleanup_configs([]) == {}


@pytest.mark.parametrize("setting", [["BROKEN"], {"UNHEALTHY": True}, "UNHEALTHY"])
async def test_cleanup_config_that_is_not_a_status_list_names_the_group(
    repo: DeploymentRepository, db_engine: AsyncEngine, setting: object
) -> None:
    await add_scaling_group(db_engine, "sg-bad", route_cleanup_target_statuses=setting)

    with pytest.raises(ConfigurationError, match=r"scaling group 'sg-bad'.*route status"):
        await repo.get_scaling_group_cleanup_configs(["sg-bad"])
