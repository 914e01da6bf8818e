"""Throwaway PostgreSQL databases for the schedule-step benchmark, and loading a workload.

A template database is created, migrated and loaded once; every measured run gets its own
copy (`CREATE DATABASE … TEMPLATE`), so each starts from the same pending backlog. Every
database created here is dropped by `Databases.drop_all`, also after a failure.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import sqlalchemy as sa
from _snapshot import (
    DOMAIN,
    RESOURCE_PRIORITY,
    SCALING_GROUP,
    T0,
    AgentSpec,
    SessionSpec,
    Workload,
    addr,
)
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.scheduling import (
    AgentSelectionStrategy,
    ClusterMode,
    SequencerStrategy,
    SessionType,
)
from sokovan.common.status import AgentStatus, KernelStatus, SessionStatus
from sokovan.db import tables as t
from sokovan.db.engine import create_engine
from sokovan.db.migrate import upgrade


class Databases:
    """Creates databases next to the one `admin_url` names, and drops them all at the end."""

    def __init__(self, admin_url: str) -> None:
        self._admin_url = admin_url
        self._created: list[str] = []

    def url_of(self, name: str) -> str:
        return make_url(self._admin_url).set(database=name).render_as_string(hide_password=False)

    async def create(self, template: str | None = None) -> str:
        """A new empty database (or a copy of `template`); returns its name."""
        name = f"sokovan_bench_{uuid.uuid4().hex[:12]}"
        copy = f' TEMPLATE "{template}"' if template else ""
        await self._admin(f'CREATE DATABASE "{name}"{copy}')
        self._created.append(name)
        return name

    async def drop_all(self) -> None:
        for name in reversed(self._created):
            await self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._created.clear()

    async def vacuum(self, name: str) -> None:
        """VACUUM ANALYZE database `name`: freshly loaded rows then read like long-committed
        ones (hint bits and visibility map set), as in a live database."""
        await self._admin("VACUUM ANALYZE", database=name)

    async def _admin(self, statement: str, database: str | None = None) -> None:
        dsn = make_url(self._admin_url).set(drivername="postgresql")
        if database is not None:
            dsn = dsn.set(database=database)
        conn = await asyncpg.connect(dsn.render_as_string(hide_password=False), timeout=10)
        try:
            await conn.execute(statement)
        finally:
            await conn.close()


async def migrate_and_load(url: str, workload: Workload) -> None:
    """Migrate the database at `url` and bulk-load `workload`: one INSERT per table."""
    engine = create_engine(url)
    try:
        await upgrade(engine)
        async with engine.begin() as conn:
            await _load(conn, workload)
    finally:
        await engine.dispose()


async def _load(conn: AsyncConnection, workload: Workload) -> None:
    sessions = [*workload.running, *workload.pending]
    await _insert(conn, t.domains, [{"name": DOMAIN, "created_at": T0}])
    await _insert(conn, t.groups, _group_rows(workload))
    await _insert(conn, t.users, _user_rows(workload))
    await _insert(
        conn,
        t.group_members,
        [{"group_id": owner.group_id, "user_id": owner.user_id} for owner in workload.owners],
    )
    await _insert(conn, t.keypairs, _keypair_rows(workload))
    await _insert(conn, t.scaling_groups, [_scaling_group_row()])
    await _insert(conn, t.agents, [_agent_row(agent) for agent in workload.agents])
    await _insert(conn, t.sessions, [_session_row(spec) for spec in sessions])
    await _insert(conn, t.kernels, [_kernel_row(spec) for spec in sessions])


async def _insert(
    conn: AsyncConnection, table: sa.Table, rows: Sequence[Mapping[str, Any]]
) -> None:
    if rows:
        await conn.execute(table.insert(), list(rows))


def _group_rows(workload: Workload) -> list[dict[str, Any]]:
    return [
        {"id": group_id, "name": f"group-{n}", "domain_name": DOMAIN, "created_at": T0}
        for n, group_id in enumerate(workload.group_ids)
    ]


def _user_rows(workload: Workload) -> list[dict[str, Any]]:
    return [
        {
            "id": owner.user_id,
            "email": f"user-{n}@example.com",
            "username": f"user-{n}",
            "domain_name": DOMAIN,
            "created_at": T0,
        }
        for n, owner in enumerate(workload.owners)
    ]


def _keypair_rows(workload: Workload) -> list[dict[str, Any]]:
    return [
        {
            "access_key": owner.access_key,
            "secret_key_hash": "unused",
            "user_id": owner.user_id,
            "created_at": T0,
        }
        for owner in workload.owners
    ]


def _scaling_group_row() -> dict[str, Any]:
    return {
        "name": SCALING_GROUP,
        "scheduler": SequencerStrategy.FIFO,
        "agent_selection_strategy": AgentSelectionStrategy.CONCENTRATED,
        "agent_selection_resource_priority": list(RESOURCE_PRIORITY),
        "created_at": T0,
    }


def _agent_row(agent: AgentSpec) -> dict[str, Any]:
    return {
        "id": agent.agent_id,
        "instance_id": f"i-{agent.agent_id}",
        "status": AgentStatus.ALIVE,
        "status_changed": T0,
        "scaling_group": SCALING_GROUP,
        "architecture": agent.architecture,
        "available_slots": agent.available,
        "occupied_slots": agent.occupied,
        "container_count": agent.containers,
        "addr": addr(agent.agent_id),
        "first_contact": T0,
        "last_heartbeat": T0,
    }


def _session_row(spec: SessionSpec) -> dict[str, Any]:
    running = spec.agent_id is not None
    return {
        "id": spec.session_id,
        "creation_id": spec.session_id.hex[:16],
        "name": f"s-{spec.session_id.hex[:12]}",
        "session_type": SessionType.INTERACTIVE,
        "priority": 10,
        "cluster_mode": ClusterMode.SINGLE_NODE,
        "cluster_size": 1,
        "domain_name": DOMAIN,
        "group_id": spec.owner.group_id,
        "user_id": spec.owner.user_id,
        "access_key": spec.owner.access_key,
        "scaling_group": SCALING_GROUP,
        "status": SessionStatus.RUNNING if running else SessionStatus.PENDING,
        "status_changed": spec.created_at,
        "requested_slots": spec.slots,
        "occupying_slots": spec.slots if running else ResourceSlot(),
        "created_at": spec.created_at,
    }


def _kernel_row(spec: SessionSpec) -> dict[str, Any]:
    running = spec.agent_id is not None
    return {
        "id": spec.kernel_id,
        "session_id": spec.session_id,
        "access_key": spec.owner.access_key,
        "scaling_group": SCALING_GROUP,
        "agent_id": spec.agent_id,
        "agent_addr": addr(spec.agent_id) if spec.agent_id is not None else None,
        "cluster_role": "main",
        "cluster_idx": 1,
        "cluster_hostname": "main1",
        "image": "python:3.11",
        "architecture": spec.architecture,
        "requested_slots": spec.slots,
        "occupied_slots": spec.slots if running else ResourceSlot(),
        "status": KernelStatus.RUNNING if running else KernelStatus.PENDING,
        "status_changed": spec.created_at,
        "created_at": spec.created_at,
    }
