"""Administration of domains, groups and users: listing, creating groups, changing them.

Creation of domains and users lives in `TenancyRepository`; what it lacks is here. Each write
is one transaction that checks its references first, so a refused change writes nothing.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from sokovan.common.ids import GroupId, UserId
from sokovan.db import tables as t
from sokovan.repositories.api.statements import (
    require_policy,
    select_one,
    update_one,
    windowed,
)
from sokovan.repositories.api.types import (
    DomainChanges,
    DomainRecord,
    GroupChanges,
    GroupRecord,
    ListWindow,
    NewGroup,
    UserChanges,
    UserInfo,
    assigned,
)
from sokovan.repositories.base import RepositoryBase
from sokovan.repositories.scheduler.read_rows import AnyRow
from sokovan.repositories.tenancy import validation as check
from sokovan.repositories.tenancy.errors import AlreadyExistsError, UnknownReferenceError
from sokovan.repositories.tenancy.statements import (
    insert_if_absent,
    integrity_errors_as_invalid_input,
)


class TenantAdminMixin(RepositoryBase):
    async def list_domains(self, window: ListWindow) -> list[DomainRecord]:
        """Domains by name."""
        statement = windowed(sa.select(t.domains).order_by(t.domains.c.name), window)
        async with self._engine.connect() as conn:
            return [_domain(row) for row in await conn.execute(statement)]

    async def get_domain(self, name: str) -> DomainRecord | None:
        async with self._engine.connect() as conn:
            row = await select_one(conn, t.domains, (t.domains.c.name, name))
        return None if row is None else _domain(row)

    async def update_domain(self, name: str, changes: DomainChanges) -> DomainRecord:
        """Apply `changes`; NotFoundError for an unknown domain or policy."""
        async with self._engine.begin() as conn:
            row = await update_one(
                conn, t.domains, (t.domains.c.name, name), assigned(changes), "domain"
            )
        return _domain(row)

    async def list_groups(self, domain: str | None, window: ListWindow) -> list[GroupRecord]:
        """Groups by (domain, name), optionally of one domain only."""
        groups = t.groups.c
        statement = sa.select(t.groups).order_by(groups.domain_name, groups.name, groups.id)
        if domain is not None:
            statement = statement.where(groups.domain_name == domain)
        async with self._engine.connect() as conn:
            return [_group(row) for row in await conn.execute(windowed(statement, window))]

    async def create_group(self, group: NewGroup) -> GroupRecord:
        """Create a group; `AlreadyExistsError` if its domain has one of that name already,
        `UnknownReferenceError` for an unknown domain or resource policy."""
        check.check_text("group name", group.name)
        row = {
            "id": uuid.uuid4(),
            "name": group.name,
            "domain_name": group.domain_name,
            "description": group.description,
            "resource_policy": group.resource_policy,
            "created_at": self._clock.now(),
        }
        with integrity_errors_as_invalid_input(f"create group {group.name!r}"):
            async with self._engine.begin() as conn:
                await _require_domain(conn, group.domain_name)
                await require_policy(conn, row)
                statement = insert_if_absent(conn.dialect.name, t.groups, ["domain_name", "name"])
                inserted = await conn.execute(statement, [row])
                if inserted.rowcount != 1:
                    raise AlreadyExistsError(f"group in domain {group.domain_name!r}", group.name)
                created = (
                    await conn.execute(sa.select(t.groups).where(t.groups.c.id == row["id"]))
                ).one()
        return _group(created)

    async def update_group(self, group_id: GroupId, changes: GroupChanges) -> GroupRecord:
        async with self._engine.begin() as conn:
            row = await update_one(
                conn, t.groups, (t.groups.c.id, group_id), assigned(changes), "group"
            )
        return _group(row)

    async def list_users(self, domain: str | None, window: ListWindow) -> list[UserInfo]:
        """Users by e-mail address, each with the groups it belongs to; two statements."""
        users = t.users.c
        statement = sa.select(t.users).order_by(users.email)
        if domain is not None:
            statement = statement.where(users.domain_name == domain)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(windowed(statement, window))).all()
            memberships = await _memberships(conn, [UserId(row.id) for row in rows])
        return [_user(row, memberships.get(UserId(row.id), ())) for row in rows]

    async def get_user(self, user_id: UserId) -> UserInfo | None:
        """The user with the groups it belongs to, or None."""
        async with self._engine.connect() as conn:
            row = await select_one(conn, t.users, (t.users.c.id, user_id))
            memberships = await _memberships(conn, [user_id])
        return None if row is None else _user(row, memberships.get(user_id, ()))

    async def update_user(self, user_id: UserId, changes: UserChanges) -> UserInfo:
        async with self._engine.begin() as conn:
            row = await update_one(
                conn, t.users, (t.users.c.id, user_id), assigned(changes), "user"
            )
            memberships = await _memberships(conn, [user_id])
        return _user(row, memberships.get(user_id, ()))


async def _require_domain(conn: AsyncConnection, name: str) -> None:
    domains = t.domains.c
    if await conn.scalar(sa.select(domains.name).where(domains.name == name)) is None:
        raise UnknownReferenceError("domain", name)


async def _memberships(
    conn: AsyncConnection, user_ids: Collection[UserId]
) -> dict[UserId, tuple[GroupId, ...]]:
    if not user_ids:
        return {}
    members = t.group_members.c
    rows = await conn.execute(
        sa.select(members.user_id, members.group_id)
        .where(members.user_id.in_(sorted(set(user_ids))))
        .order_by(members.user_id, members.group_id)
    )
    grouped: dict[UserId, list[GroupId]] = defaultdict(list)
    for user_id, group_id in rows:
        grouped[UserId(user_id)].append(GroupId(group_id))
    return {user_id: tuple(groups) for user_id, groups in grouped.items()}


def _domain(row: AnyRow) -> DomainRecord:
    return DomainRecord(
        name=row.name,
        description=row.description,
        is_active=row.is_active,
        resource_policy=row.resource_policy,
        created_at=row.created_at,
    )


def _group(row: AnyRow) -> GroupRecord:
    return GroupRecord(
        id=GroupId(row.id),
        name=row.name,
        domain_name=row.domain_name,
        description=row.description,
        is_active=row.is_active,
        resource_policy=row.resource_policy,
        created_at=row.created_at,
    )


def _user(row: AnyRow, group_ids: tuple[GroupId, ...]) -> UserInfo:
    return UserInfo(
        id=UserId(row.id),
        email=row.email,
        username=row.username,
        domain_name=row.domain_name,
        role=row.role,
        is_active=row.is_active,
        resource_policy=row.resource_policy,
        created_at=row.created_at,
        group_ids=group_ids,
    )
