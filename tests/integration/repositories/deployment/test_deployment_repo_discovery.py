"""DeploymentRepository: service discovery data of routes, and how host and port are chosen."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from sokovan.common.ids import DeploymentId, KernelId, SessionId
from sokovan.common.status import KernelStatus, SessionStatus
from sokovan.db import tables as t
from sokovan.repositories.deployment import DeploymentRepository, RouteDiscoveryData
from sokovan.repositories.deployment.discovery import resolve_host, resolve_port
from support.factories import KernelSpec, Tenant, add_agent, add_session


@pytest.fixture
async def agent(db_engine: AsyncEngine, tenant: Tenant) -> str:
    """Agent a1, which hosts every replica kernel of these tests."""
    return await add_agent(db_engine, "a1", addr="http://10.0.0.7:6001")


async def _replica(
    engine: AsyncEngine,
    tenant: Tenant,
    *,
    kernel_status: KernelStatus = KernelStatus.RUNNING,
    **kernel_columns: Any,
) -> tuple[SessionId, KernelId]:
    """A two-kernel replica session on agent a1 whose main kernel has `kernel_columns`."""
    session_id, [main, _sub] = await add_session(
        engine,
        tenant,
        status=SessionStatus.RUNNING,
        kernels=[
            KernelSpec(agent_id="a1", status=kernel_status),
            KernelSpec(agent_id="a1", status=KernelStatus.RUNNING),
        ],
    )
    async with engine.begin() as conn:
        await conn.execute(
            t.kernels.update()
            .where(t.kernels.c.id == main)
            .values(**{"agent_addr": "http://10.0.0.7:6001", **kernel_columns})
        )
    return session_id, main


@pytest.mark.usefixtures("agent")
async def test_discovery_uses_kernel_host_and_deployment_port(
    repo: DeploymentRepository,
    deployment_id: DeploymentId,
    db_engine: AsyncEngine,
    tenant: Tenant,
) -> None:
    [route] = await repo.create_routes(deployment_id, 1)
    session_id, _ = await _replica(db_engine, tenant, kernel_host="192.168.1.1")
    await repo.update_route_sessions({route: session_id})

    found = await repo.fetch_route_service_discovery_info([route])

    assert found == [
        RouteDiscoveryData(
            route_id=route,
            endpoint_id=deployment_id,
            endpoint_name="llama",
            session_id=session_id,
            kernel_host="192.168.1.1",
            port=8000,
            labels={
                "image": "vllm:0.6",
                "architecture": "x86_64",
                "resource_group": "default",
                "agent_id": "a1",
            },
        )
    ]


@pytest.mark.usefixtures("agent")
async def test_discovery_falls_back_to_agent_host_and_mapped_host_port(
    repo: DeploymentRepository,
    deployment_id: DeploymentId,
    db_engine: AsyncEngine,
    tenant: Tenant,
) -> None:
    [route] = await repo.create_routes(deployment_id, 1)
    session_id, _ = await _replica(
        db_engine,
        tenant,
        kernel_host=None,
        service_ports=[
            {
                "name": "metrics",
                "protocol": "http",
                "container_ports": [9090],
                "host_ports": [31001],
            },
            {
                "name": "inference",
                "protocol": "http",
                "container_ports": [8000],
                "host_ports": [31000],
            },
        ],
    )
    await repo.update_route_sessions({route: session_id})

    [data] = await repo.fetch_route_service_discovery_info([route])

    assert (data.kernel_host, data.port) == ("10.0.0.7", 31000)


@pytest.mark.usefixtures("agent")
async def test_discovery_skips_routes_without_running_main_kernel(
    repo: DeploymentRepository,
    deployment_id: DeploymentId,
    db_engine: AsyncEngine,
    tenant: Tenant,
) -> None:
    [serving, creating, hostless, unlinked] = await repo.create_routes(deployment_id, 4)
    s_serving, _ = await _replica(db_engine, tenant, kernel_host="h1")
    s_creating, _ = await _replica(
        db_engine, tenant, kernel_status=KernelStatus.CREATING, kernel_host="h2"
    )
    s_hostless, _ = await _replica(db_engine, tenant, kernel_host=None, agent_addr=None)
    await repo.update_route_sessions(
        {serving: s_serving, creating: s_creating, hostless: s_hostless}
    )

    found = await repo.fetch_route_service_discovery_info([serving, creating, hostless, unlinked])

    assert [data.route_id for data in found] == [serving]
    assert await repo.fetch_route_service_discovery_info([]) == []


@pytest.mark.usefixtures("agent")
async def test_discovery_adds_image_string_labels_under_placement_facts(
    repo: DeploymentRepository,
    deployment_id: DeploymentId,
    db_engine: AsyncEngine,
    tenant: Tenant,
) -> None:
    async with db_engine.begin() as conn:
        await conn.execute(
            t.images.update().values(labels={"runtime": "vllm", "image": "spoofed", "layers": 12})
        )
    [route] = await repo.create_routes(deployment_id, 1)
    session_id, _ = await _replica(db_engine, tenant, kernel_host="h1")
    await repo.update_route_sessions({route: session_id})

    [data] = await repo.fetch_route_service_discovery_info([route])

    assert data.labels["runtime"] == "vllm"
    assert data.labels["image"] == "vllm:0.6"
    assert "layers" not in data.labels


@pytest.mark.parametrize(
    ("kernel_host", "agent_addr", "expected"),
    [
        ("10.1.1.1", "http://10.0.0.7:6001", "10.1.1.1"),
        (None, "http://10.0.0.7:6001/a1", "10.0.0.7"),
        (None, "10.0.0.8:6001", "10.0.0.8"),
        ("", "https://node-3.example:443", "node-3.example"),
        (None, None, None),
        (None, "", None),
        (None, "http://[::1", None),  # unparsable
    ],
)
def test_resolve_host(
    kernel_host: str | None, agent_addr: str | None, expected: str | None
) -> None:
    assert resolve_host(kernel_host, agent_addr) == expected


@pytest.mark.parametrize(
    ("service_ports", "expected"),
    [
        (None, 8000),
        ([], 8000),
        ([{"container_ports": [8000], "host_ports": [30080]}], 30080),
        ([{"container_ports": [7000, 8000], "host_ports": [30070, 30080]}], 30080),
        ([{"container_ports": [9000], "host_ports": [30090]}], 8000),
        ([{"container_ports": "8000", "host_ports": [30080]}], 8000),  # malformed: ignored
        ([{"name": "no ports"}], 8000),
    ],
)
def test_resolve_port(service_ports: list[dict[str, Any]] | None, expected: int) -> None:
    assert resolve_port(8000, service_ports) == expected
