"""Where each replica can be reached: the data service discovery registers.

The host and port come from the replica session's main kernel; how they are derived is kept
in small pure functions so the rules (kernel host over agent address, mapped host port over
the deployment's port) read in one place.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa

from sokovan.common.ids import DeploymentId, RouteId, SessionId
from sokovan.common.status import KernelStatus
from sokovan.db import tables as t
from sokovan.repositories.base import RepositoryBase
from sokovan.repositories.deployment.types import RouteDiscoveryData

MAIN_KERNEL_ROLE = "main"


def resolve_host(kernel_host: str | None, agent_addr: str | None) -> str | None:
    """The kernel's host, else the host part of its agent's address ("http://h:6001" → "h")."""
    if kernel_host:
        return kernel_host
    if not agent_addr:
        return None
    # urlsplit finds a host only after "//"; agent addresses are also written "host:port".
    address = agent_addr if "//" in agent_addr else f"//{agent_addr}"
    try:
        return urlsplit(address).hostname
    except ValueError:
        return None


def resolve_port(container_port: int, service_ports: Sequence[Mapping[str, Any]] | None) -> int:
    """The host port `container_port` is published on, else `container_port` itself.

    Entries that do not look like {"container_ports": [...], "host_ports": [...]} are ignored:
    they come from agents and must not break discovery of the other replicas.
    """
    for entry in service_ports or ():
        container_ports = entry.get("container_ports")
        host_ports = entry.get("host_ports")
        if not isinstance(container_ports, list) or not isinstance(host_ports, list):
            continue
        for published, host_port in zip(container_ports, host_ports, strict=False):
            if published == container_port and isinstance(host_port, int):
                return host_port
    return container_port


def runtime_labels(row: Any) -> dict[str, str]:
    """The image's string labels (e.g. which model server it runs) plus placement facts.

    The placement facts win over an image label of the same name.
    """
    labels = {
        key: value for key, value in (row.image_labels or {}).items() if isinstance(value, str)
    }
    labels.update(
        image=row.image,
        architecture=row.architecture,
        resource_group=row.resource_group,
        agent_id=row.agent_id or "",
    )
    return labels


class DiscoveryMixin(RepositoryBase):
    async def fetch_route_service_discovery_info(
        self, route_ids: Collection[RouteId]
    ) -> list[RouteDiscoveryData]:
        """Host, port and labels of each route whose session's main kernel is RUNNING.

        Routes without a session, without a running main kernel, or whose kernel has no
        resolvable host are skipped: there is nothing to scrape yet.
        """
        if not route_ids:
            return []
        async with self._engine.connect() as conn:
            rows = (await conn.execute(_discovery_query(route_ids))).all()
        found = []
        for row in rows:
            host = resolve_host(row.kernel_host, row.agent_addr)
            if host is None:
                continue
            found.append(
                RouteDiscoveryData(
                    route_id=RouteId(row.route_id),
                    endpoint_id=DeploymentId(row.endpoint_id),
                    endpoint_name=row.endpoint_name,
                    session_id=SessionId(row.session_id),
                    kernel_host=host,
                    port=resolve_port(row.port, row.service_ports),
                    labels=runtime_labels(row),
                )
            )
        return found


def _discovery_query(route_ids: Collection[RouteId]) -> sa.Select[Any]:
    routes, deployments, kernels, images = t.routes, t.deployments, t.kernels, t.images
    return (
        sa.select(
            routes.c.id.label("route_id"),
            routes.c.endpoint_id,
            routes.c.session_id,
            deployments.c.name.label("endpoint_name"),
            deployments.c.port,
            deployments.c.image,
            deployments.c.architecture,
            deployments.c.resource_group,
            kernels.c.kernel_host,
            kernels.c.agent_addr,
            kernels.c.agent_id,
            kernels.c.service_ports,
            images.c.labels.label("image_labels"),
        )
        .join(deployments, deployments.c.id == routes.c.endpoint_id)
        .join(
            kernels,
            sa.and_(
                kernels.c.session_id == routes.c.session_id,
                kernels.c.cluster_role == MAIN_KERNEL_ROLE,
                kernels.c.status == KernelStatus.RUNNING,
            ),
        )
        .outerjoin(
            images,
            sa.and_(
                images.c.name == deployments.c.image,
                images.c.architecture == deployments.c.architecture,
            ),
        )
        .where(routes.c.id.in_(list(route_ids)))
        .order_by(routes.c.created_at, routes.c.id)
    )
