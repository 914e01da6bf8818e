"""Row factories for tests: insert realistic rows with Core statements and sensible defaults.

Each function inserts exactly what it names and returns the ids the test needs next, so a
test reads as the situation it sets up ("a tenant, an agent with 8 cpu, a pending session").
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from sokovan.common.ids import AccessKey, AgentId, GroupId, KernelId, SessionId, UserId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.scheduling import ClusterMode, SessionType
from sokovan.common.status import AgentStatus, KernelStatus, SessionStatus
from sokovan.db import tables as t

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Tenant:
    domain_name: str
    group_id: GroupId
    user_id: UserId
    access_key: AccessKey


async def insert(engine: AsyncEngine, table: Any, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        async with engine.begin() as conn:
            await conn.execute(table.insert(), list(rows))


async def add_resource_policy(
    engine: AsyncEngine, name: str, *, total: Mapping[str, Any] | None = None, **limits: Any
) -> str:
    await insert(
        engine,
        t.resource_policies,
        [
            {
                "name": name,
                "total_resource_slots": ResourceSlot(total or {}),
                "max_pending_session_resource_slots": ResourceSlot(
                    limits.pop("max_pending_session_resource_slots", {})
                ),
                "created_at": T0,
                **limits,
            }
        ],
    )
    return name


async def add_tenant(
    engine: AsyncEngine,
    *,
    domain: str = "default",
    group: str = "default",
    username: str | None = None,
    access_key: str | None = None,
    keypair_policy: str | None = None,
    user_policy: str | None = None,
    group_policy: str | None = None,
    domain_policy: str | None = None,
    create_domain: bool = True,
    group_id: uuid.UUID | None = None,
) -> Tenant:
    """A domain (optional), a group (unless `group_id` names an existing one), a user, a key."""
    user_id = uuid.uuid4()
    username = username or f"user-{user_id.hex[:8]}"
    access_key = access_key or f"AK{user_id.hex[:18].upper()}"
    if create_domain:
        await insert(
            engine,
            t.domains,
            [{"name": domain, "resource_policy": domain_policy, "created_at": T0}],
        )
    if group_id is None:
        group_id = uuid.uuid4()
        await insert(
            engine,
            t.groups,
            [
                {
                    "id": group_id,
                    "name": group,
                    "domain_name": domain,
                    "resource_policy": group_policy,
                    "created_at": T0,
                }
            ],
        )
    await insert(
        engine,
        t.users,
        [
            {
                "id": user_id,
                "email": f"{username}@example.com",
                "username": username,
                "domain_name": domain,
                "resource_policy": user_policy,
                "created_at": T0,
            }
        ],
    )
    await insert(engine, t.group_members, [{"group_id": group_id, "user_id": user_id}])
    await insert(
        engine,
        t.keypairs,
        [
            {
                "access_key": access_key,
                "secret_key_hash": "unused-in-tests",
                "user_id": user_id,
                "resource_policy": keypair_policy,
                "created_at": T0,
            }
        ],
    )
    return Tenant(domain, GroupId(group_id), UserId(user_id), AccessKey(access_key))


async def add_scaling_group(engine: AsyncEngine, name: str = "default", **columns: Any) -> str:
    await insert(engine, t.scaling_groups, [{"name": name, "created_at": T0, **columns}])
    return name


async def add_agent(
    engine: AsyncEngine,
    agent_id: str,
    *,
    scaling_group: str = "default",
    available: Mapping[str, Any] | None = None,
    occupied: Mapping[str, Any] | None = None,
    architecture: str = "x86_64",
    status: AgentStatus = AgentStatus.ALIVE,
    **columns: Any,
) -> AgentId:
    await insert(
        engine,
        t.agents,
        [
            {
                "id": agent_id,
                "instance_id": f"i-{agent_id}",
                "status": status,
                "status_changed": T0,
                "scaling_group": scaling_group,
                "architecture": architecture,
                "available_slots": ResourceSlot(available or {"cpu": 8, "mem": 32 * 2**30}),
                "occupied_slots": ResourceSlot(occupied or {}),
                "addr": f"http://127.0.0.1:6001/{agent_id}",
                "first_contact": T0,
                "last_heartbeat": T0,
                **columns,
            }
        ],
    )
    return AgentId(agent_id)


async def add_image(
    engine: AsyncEngine,
    name: str = "python:3.11",
    *,
    architecture: str = "x86_64",
    environment: Mapping[str, Any] | None = None,
    **columns: Any,
) -> uuid.UUID:
    """An image row; `columns` set (or override) any other column, the id included."""
    row = {
        "id": uuid.uuid4(),
        "name": name,
        "architecture": architecture,
        "environment": dict(environment or {"command": ["python3"]}),
        "min_slots": ResourceSlot(),
        "created_at": T0,
        **columns,
    }
    await insert(engine, t.images, [row])
    image_id: uuid.UUID = row["id"]
    return image_id


@dataclass(frozen=True)
class KernelSpec:
    """One kernel of a session to insert; defaults give an unplaced PENDING main kernel."""

    slots: Mapping[str, Any] | None = None
    status: KernelStatus | None = None
    agent_id: str | None = None
    container_id: str | None = None
    image: str = "python:3.11"
    architecture: str = "x86_64"


async def add_session(
    engine: AsyncEngine,
    tenant: Tenant,
    *,
    status: SessionStatus = SessionStatus.PENDING,
    scaling_group: str = "default",
    kernels: Sequence[KernelSpec] = (KernelSpec(),),
    kernel_status: KernelStatus | None = None,
    priority: int = 10,
    created_at: datetime = T0,
    status_changed: datetime | None = None,
    session_type: SessionType = SessionType.INTERACTIVE,
    cluster_mode: ClusterMode = ClusterMode.SINGLE_NODE,
    depends_on: Sequence[SessionId] = (),
    **columns: Any,
) -> tuple[SessionId, list[KernelId]]:
    """A session and its kernels. Kernel status defaults to the session's, where one exists."""
    session_id = SessionId(uuid.uuid4())
    default_kernel_status = kernel_status or KernelStatus.__members__.get(
        status.value, KernelStatus.PENDING
    )
    kernel_rows = []
    requested = ResourceSlot()
    for idx, spec in enumerate(kernels, start=1):
        slots = ResourceSlot(spec.slots or {"cpu": 1, "mem": 2**30})
        requested = requested + slots
        occupying = (spec.status or default_kernel_status) in (
            KernelStatus.resource_occupied_statuses()
        )
        kernel_rows.append(
            {
                "id": uuid.uuid4(),
                "session_id": session_id,
                "access_key": tenant.access_key,
                "scaling_group": scaling_group,
                "agent_id": spec.agent_id,
                "agent_addr": f"http://127.0.0.1:6001/{spec.agent_id}" if spec.agent_id else None,
                "container_id": spec.container_id,
                "cluster_role": "main" if idx == 1 else "sub",
                "cluster_idx": idx,
                "cluster_hostname": f"{'main' if idx == 1 else 'sub'}{idx}",
                "image": spec.image,
                "architecture": spec.architecture,
                "requested_slots": slots,
                "occupied_slots": slots if occupying and spec.agent_id else ResourceSlot(),
                "status": spec.status or default_kernel_status,
                "status_changed": status_changed or created_at,
                "created_at": created_at,
            }
        )
    await insert(
        engine,
        t.sessions,
        [
            {
                "id": session_id,
                "creation_id": uuid.uuid4().hex[:16],
                "name": f"s-{session_id.hex[:8]}",
                "session_type": session_type,
                "priority": priority,
                "cluster_mode": cluster_mode,
                "cluster_size": len(kernel_rows),
                "domain_name": tenant.domain_name,
                "group_id": tenant.group_id,
                "user_id": tenant.user_id,
                "access_key": tenant.access_key,
                "scaling_group": scaling_group,
                "status": status,
                "status_changed": status_changed or created_at,
                "requested_slots": requested,
                "occupying_slots": (
                    requested if status in SessionStatus.resource_occupied_statuses() else {}
                ),
                "created_at": created_at,
                **columns,
            }
        ],
    )
    await insert(engine, t.kernels, kernel_rows)
    await insert(
        engine,
        t.session_dependencies,
        [{"session_id": session_id, "depends_on": dep} for dep in depends_on],
    )
    return session_id, [KernelId(uuid.UUID(str(row["id"]))) for row in kernel_rows]
