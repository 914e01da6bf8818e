"""The facts the API checks a session submission against before handing it to the controller."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from sokovan.common.ids import AccessKey, AgentId, GroupId
from sokovan.common.status import AgentStatus
from sokovan.db import tables as t
from sokovan.repositories.api.types import MemberGroup, PolicyLimit, SubmissionFacts
from sokovan.repositories.base import RepositoryBase
from sokovan.repositories.scheduler.read_rows import AnyRow
from sokovan.repositories.scheduler.snapshot_types import AgentSnapshot


class SubmissionFactsMixin(RepositoryBase):
    async def get_submission_facts(
        self, scaling_group: str, access_key: AccessKey
    ) -> SubmissionFacts:
        """Scaling group, its ALIVE agents, the key owner's groups and every owner's policy.

        Five statements on one read connection. An unknown access key reads as an owner in
        no group and under no policy (authentication has already vouched for the key).
        """
        async with self._engine.connect() as conn:
            group_row = await _scaling_group(conn, scaling_group)
            agents = await _alive_agents(conn, scaling_group)
            owner = await _owner(conn, access_key)
            members = [] if owner is None else await _member_groups(conn, owner)
            policies = await _policies(conn, _policy_names(owner, members))
        return SubmissionFacts(
            scaling_group_usable=group_row is not None and bool(group_row.is_active),
            max_container_count=None if group_row is None else group_row.max_container_count,
            alive_agents=agents,
            groups=tuple(
                MemberGroup(GroupId(row.id), row.name, policies.get(row.resource_policy))
                for row in members
            ),
            keypair_policy=None if owner is None else policies.get(owner.keypair_policy),
            user_policy=None if owner is None else policies.get(owner.user_policy),
            domain_policy=None if owner is None else policies.get(owner.domain_policy),
        )


async def _scaling_group(conn: AsyncConnection, name: str) -> AnyRow | None:
    groups = t.scaling_groups.c
    statement = sa.select(groups.is_active, groups.max_container_count).where(groups.name == name)
    return (await conn.execute(statement)).one_or_none()


async def _alive_agents(conn: AsyncConnection, scaling_group: str) -> tuple[AgentSnapshot, ...]:
    agents = t.agents.c
    rows = await conn.execute(
        sa.select(t.agents)
        .where(agents.scaling_group == scaling_group, agents.status == AgentStatus.ALIVE)
        .order_by(agents.id)
    )
    return tuple(
        AgentSnapshot(
            agent_id=AgentId(row.id),
            addr=row.addr,
            architecture=row.architecture,
            available_slots=row.available_slots,
            occupied_slots=row.occupied_slots,
            container_count=row.container_count,
        )
        for row in rows
    )


async def _owner(conn: AsyncConnection, access_key: AccessKey) -> AnyRow | None:
    keypairs, users, domains = t.keypairs.c, t.users.c, t.domains.c
    statement = (
        sa.select(
            users.id.label("user_id"),
            users.domain_name,
            keypairs.resource_policy.label("keypair_policy"),
            users.resource_policy.label("user_policy"),
            domains.resource_policy.label("domain_policy"),
        )
        .select_from(
            t.keypairs.join(t.users, users.id == keypairs.user_id).join(
                t.domains, domains.name == users.domain_name
            )
        )
        .where(keypairs.access_key == access_key)
    )
    return (await conn.execute(statement)).one_or_none()


async def _member_groups(conn: AsyncConnection, owner: AnyRow) -> list[AnyRow]:
    groups, members = t.groups.c, t.group_members.c
    statement = (
        sa.select(groups.id, groups.name, groups.resource_policy)
        .select_from(t.group_members.join(t.groups, groups.id == members.group_id))
        .where(members.user_id == owner.user_id, groups.domain_name == owner.domain_name)
        .order_by(groups.name, groups.id)
    )
    return list((await conn.execute(statement)).all())


def _policy_names(owner: AnyRow | None, members: Iterable[AnyRow]) -> set[str]:
    if owner is None:
        return set()
    named = {owner.keypair_policy, owner.user_policy, owner.domain_policy}
    named.update(row.resource_policy for row in members)
    return {name for name in named if name is not None}


async def _policies(conn: AsyncConnection, names: set[str]) -> dict[str | None, PolicyLimit]:
    if not names:
        return {}
    policies = t.resource_policies.c
    rows = await conn.execute(
        sa.select(policies.name, policies.total_resource_slots).where(
            policies.name.in_(sorted(names))
        )
    )
    return {row.name: PolicyLimit(row.name, row.total_resource_slots) for row in rows}
