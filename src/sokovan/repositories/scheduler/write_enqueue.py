"""Submitting sessions: the facts a submission is checked against, and the PENDING insert.

`get_enqueue_context` answers everything validation asks (scaling group, owners, images,
dependencies, designated agents, queue admission) on one short read connection, in a fixed
number of statements. `enqueue_sessions` then writes sessions, their kernels and their
dependency edges in one transaction: a submission exists completely or not at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from sokovan.common.ids import AccessKey, AgentId, GroupId, KernelId, SessionId, UserId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.scheduling import ClusterMode, SessionType
from sokovan.common.status import KernelStatus, SessionStatus
from sokovan.db import tables as t
from sokovan.repositories.scheduler.read_snapshot_sessions import load_scaling_group
from sokovan.repositories.scheduler.snapshot_types import (
    PendingStats,
    ResourcePolicySnapshot,
    ScalingGroupConfig,
)
from sokovan.repositories.scheduler.types import ImageIdentifier
from sokovan.repositories.scheduler.write_bulk import insert_rows
from sokovan.repositories.scheduler.write_cache import KeypairOccupancyMixin


@dataclass(frozen=True, slots=True)
class EnqueueLookup:
    """The references of one submission, as `get_enqueue_context` takes them."""

    scaling_group: str
    access_key: AccessKey
    user_id: UserId
    group_id: GroupId
    domain_name: str
    image_names: frozenset[str]
    depends_on: frozenset[SessionId]
    designated_agents: frozenset[AgentId]


@dataclass(frozen=True, slots=True)
class OwnerFacts:
    """What the database says about a submission's owners; None: no such row."""

    keypair_user_id: UserId | None
    keypair_active: bool
    user_domain: str | None
    group_domain: str | None
    user_in_group: bool
    #: Owners that exist but are deactivated ("domain 'acme'", "group …", "user …").
    inactive_owners: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class EnqueueContext:
    scaling_group_exists: bool
    #: The group's configuration; None when it does not exist or is inactive.
    scaling_group: ScalingGroupConfig | None
    owner: OwnerFacts
    #: min_slots of every registered (name, architecture) among the requested image names.
    images: Mapping[ImageIdentifier, ResourceSlot]
    #: The requested dependencies that exist.
    existing_dependencies: frozenset[SessionId]
    #: The designated agents that belong to the scaling group.
    agents_in_group: frozenset[AgentId]
    #: The policy of the access key, if it references one.
    keypair_policy: ResourcePolicySnapshot | None
    #: The access key's PENDING sessions in every scaling group.
    pending: PendingStats


@dataclass(frozen=True, slots=True)
class KernelEnqueueRecord:
    kernel_id: KernelId
    image: str
    architecture: str
    requested_slots: ResourceSlot
    cluster_role: str
    cluster_idx: int
    local_rank: int
    cluster_hostname: str
    startup_command: str | None


@dataclass(frozen=True, slots=True)
class SessionEnqueueRecord:
    """A validated submission, ready to insert; `requested_slots` is the kernels' sum."""

    session_id: SessionId
    creation_id: str
    name: str
    session_type: SessionType
    priority: int
    cluster_mode: ClusterMode
    cluster_size: int
    domain_name: str
    group_id: GroupId
    user_id: UserId
    access_key: AccessKey
    scaling_group: str
    requested_slots: ResourceSlot
    designated_agent_ids: tuple[AgentId, ...] | None
    starts_at: datetime | None
    environ: Mapping[str, str]
    depends_on: tuple[SessionId, ...]
    kernels: tuple[KernelEnqueueRecord, ...]


class SessionEnqueueMixin(KeypairOccupancyMixin):
    async def get_enqueue_context(self, lookup: EnqueueLookup) -> EnqueueContext:
        """The facts validation checks a submission against; reads only."""
        async with self._engine.connect() as conn:
            config = await load_scaling_group(conn, lookup.scaling_group)
            exists = config is not None or await _scaling_group_exists(conn, lookup.scaling_group)
            return EnqueueContext(
                scaling_group_exists=exists,
                scaling_group=config,
                owner=await _owner_facts(conn, lookup),
                images=await _images_named(conn, lookup.image_names),
                existing_dependencies=await _existing_sessions(conn, lookup.depends_on),
                agents_in_group=await _agents_in_group(
                    conn, lookup.scaling_group, lookup.designated_agents
                ),
                keypair_policy=await _keypair_policy(conn, lookup.access_key),
                pending=await _pending_stats(conn, lookup.access_key),
            )

    async def enqueue_sessions(self, records: Sequence[SessionEnqueueRecord]) -> None:
        """Insert the sessions and their kernels as PENDING, with their dependency edges.

        One transaction for the whole batch: every submission in it exists completely, or
        none does.
        """
        if not records:
            return
        now = self._clock.now()
        dependencies = [
            {"session_id": record.session_id, "depends_on": dep}
            for record in records
            for dep in record.depends_on
        ]
        async with self._engine.begin() as conn:
            await insert_rows(conn, t.sessions, [_session_row(r, now) for r in records])
            await insert_rows(
                conn,
                t.kernels,
                [_kernel_row(r, kernel, now) for r in records for kernel in r.kernels],
            )
            if dependencies:
                await conn.execute(t.session_dependencies.insert(), dependencies)
        # The keys' pending counts changed; cached occupancy must not hide the new sessions.
        self._forget_occupancy({record.access_key for record in records})


def _session_row(record: SessionEnqueueRecord, now: datetime) -> dict[str, Any]:
    designated = record.designated_agent_ids
    return {
        "id": record.session_id,
        "creation_id": record.creation_id,
        "name": record.name,
        "session_type": record.session_type,
        "priority": record.priority,
        "cluster_mode": record.cluster_mode,
        "cluster_size": record.cluster_size,
        "domain_name": record.domain_name,
        "group_id": record.group_id,
        "user_id": record.user_id,
        "access_key": record.access_key,
        "scaling_group": record.scaling_group,
        "status": SessionStatus.PENDING,
        "status_changed": now,
        "requested_slots": record.requested_slots,
        "occupying_slots": ResourceSlot(),
        "designated_agent_ids": None if designated is None else list(designated),
        "starts_at": record.starts_at,
        "environ": dict(record.environ),
        "created_at": now,
    }


def _kernel_row(
    record: SessionEnqueueRecord, kernel: KernelEnqueueRecord, now: datetime
) -> dict[str, Any]:
    return {
        "id": kernel.kernel_id,
        "session_id": record.session_id,
        "access_key": record.access_key,
        "scaling_group": record.scaling_group,
        "cluster_role": kernel.cluster_role,
        "cluster_idx": kernel.cluster_idx,
        "local_rank": kernel.local_rank,
        "cluster_hostname": kernel.cluster_hostname,
        "image": kernel.image,
        "architecture": kernel.architecture,
        "requested_slots": kernel.requested_slots,
        "occupied_slots": ResourceSlot(),
        "status": KernelStatus.PENDING,
        "status_changed": now,
        "startup_command": kernel.startup_command,
        "service_ports": [],  # spelled out: a computed default would cost the fast insert
        "created_at": now,
    }


async def _scaling_group_exists(conn: AsyncConnection, name: str) -> bool:
    groups = t.scaling_groups.c
    return await conn.scalar(sa.select(groups.name).where(groups.name == name)) is not None


async def _owner_facts(conn: AsyncConnection, lookup: EnqueueLookup) -> OwnerFacts:
    keypairs, users, groups, members = t.keypairs.c, t.users.c, t.groups.c, t.group_members.c
    keypair = (
        await conn.execute(
            sa.select(keypairs.user_id, keypairs.is_active).where(
                keypairs.access_key == lookup.access_key
            )
        )
    ).one_or_none()
    user_domain = await conn.scalar(sa.select(users.domain_name).where(users.id == lookup.user_id))
    group_domain = await conn.scalar(
        sa.select(groups.domain_name).where(groups.id == lookup.group_id)
    )
    membership = await conn.scalar(
        sa.select(members.user_id).where(
            members.group_id == lookup.group_id, members.user_id == lookup.user_id
        )
    )
    return OwnerFacts(
        keypair_user_id=None if keypair is None else UserId(keypair.user_id),
        keypair_active=keypair is not None and keypair.is_active,
        user_domain=user_domain,
        group_domain=group_domain,
        user_in_group=membership is not None,
        inactive_owners=await _inactive_owners(conn, lookup),
    )


async def _inactive_owners(conn: AsyncConnection, lookup: EnqueueLookup) -> tuple[str, ...]:
    users, groups, domains = t.users.c, t.groups.c, t.domains.c
    rows = await conn.execute(
        sa.union_all(
            sa.select(sa.literal("domain"), domains.name).where(
                domains.name == lookup.domain_name, sa.not_(domains.is_active)
            ),
            sa.select(sa.literal("group"), groups.name).where(
                groups.id == lookup.group_id, sa.not_(groups.is_active)
            ),
            sa.select(sa.literal("user"), users.username).where(
                users.id == lookup.user_id, sa.not_(users.is_active)
            ),
        )
    )
    return tuple(f"{kind} {name!r}" for kind, name in rows)


async def _images_named(
    conn: AsyncConnection, names: frozenset[str]
) -> dict[ImageIdentifier, ResourceSlot]:
    images = t.images.c
    rows = await conn.execute(
        sa.select(images.name, images.architecture, images.min_slots).where(
            images.name.in_(sorted(names))
        )
    )
    return {ImageIdentifier(row.name, row.architecture): row.min_slots for row in rows}


async def _existing_sessions(
    conn: AsyncConnection, session_ids: frozenset[SessionId]
) -> frozenset[SessionId]:
    if not session_ids:
        return frozenset()
    found = await conn.scalars(
        sa.select(t.sessions.c.id).where(t.sessions.c.id.in_(sorted(session_ids)))
    )
    return frozenset(SessionId(session_id) for session_id in found)


async def _agents_in_group(
    conn: AsyncConnection, scaling_group: str, agent_ids: frozenset[AgentId]
) -> frozenset[AgentId]:
    if not agent_ids:
        return frozenset()
    agents = t.agents.c
    found = await conn.scalars(
        sa.select(agents.id).where(
            agents.id.in_(sorted(agent_ids)), agents.scaling_group == scaling_group
        )
    )
    return frozenset(AgentId(agent_id) for agent_id in found)


async def _keypair_policy(
    conn: AsyncConnection, access_key: AccessKey
) -> ResourcePolicySnapshot | None:
    policies = t.resource_policies
    row = (
        await conn.execute(
            sa.select(policies)
            .select_from(t.keypairs.join(policies, t.keypairs.c.resource_policy == policies.c.name))
            .where(t.keypairs.c.access_key == access_key)
        )
    ).one_or_none()
    if row is None:
        return None
    return ResourcePolicySnapshot(
        name=row.name,
        total_resource_slots=row.total_resource_slots,
        max_concurrent_sessions=row.max_concurrent_sessions,
        max_pending_session_count=row.max_pending_session_count,
        max_pending_session_resource_slots=row.max_pending_session_resource_slots,
    )


async def _pending_stats(conn: AsyncConnection, access_key: AccessKey) -> PendingStats:
    sessions = t.sessions.c
    requested = await conn.scalars(
        sa.select(sessions.requested_slots).where(
            sessions.access_key == access_key, sessions.status == SessionStatus.PENDING
        )
    )
    slots = list(requested)
    return PendingStats(len(slots), sum(slots, ResourceSlot()))
