"""TenancyRepository: resource policies, domains, groups, users, keypairs, scaling groups, images.

Every method is one transaction. Input is checked before anything is written, and references
(a user's domain, a group's domain, …) are checked inside the writing transaction, so a failed
call raises a typed `SokovanError` and leaves no row behind.

`ensure_*` methods create what is absent and leave an existing row exactly as it is; they are
safe to call on every start and from concurrent processes.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from sokovan.common.ids import AccessKey, GroupId, ImageId, UserId
from sokovan.common.scheduling import AgentSelectionStrategy, SequencerStrategy, UserRole
from sokovan.db import tables as t
from sokovan.repositories.base import RepositoryBase
from sokovan.repositories.tenancy import validation as check
from sokovan.repositories.tenancy.errors import AlreadyExistsError, UnknownReferenceError
from sokovan.repositories.tenancy.statements import (
    insert_if_absent,
    integrity_errors_as_invalid_input,
)
from sokovan.repositories.tenancy.types import KeypairRecord, ResourcePolicyLimits, UserRecord


class TenancyRepository(RepositoryBase):
    """Who may use the cluster, under which limits, and on which scaling groups and images."""

    async def ensure_resource_policy(
        self, name: str, limits: ResourcePolicyLimits | None = None
    ) -> bool:
        """Create the policy unless it exists; True if this call created it."""
        check.check_text("resource policy name", name)
        limits = limits or ResourcePolicyLimits()
        check.check_limits(limits)
        row = {
            "name": name,
            "total_resource_slots": limits.total_resource_slots,
            "max_concurrent_sessions": limits.max_concurrent_sessions,
            "max_pending_session_count": limits.max_pending_session_count,
            "max_pending_session_resource_slots": limits.max_pending_session_resource_slots,
            "max_session_lifetime": limits.max_session_lifetime,
            "created_at": self._clock.now(),
        }
        return await self._insert_if_absent(t.resource_policies, ["name"], row)

    async def ensure_domain(self, name: str, resource_policy: str | None = None) -> bool:
        """Create the domain unless it exists; True if this call created it.

        Raises `UnknownReferenceError` if `resource_policy` names no policy.
        """
        check.check_text("domain name", name)
        row = {"name": name, "resource_policy": resource_policy, "created_at": self._clock.now()}
        with integrity_errors_as_invalid_input(f"create domain {name!r}"):
            async with self._engine.begin() as conn:
                if resource_policy is not None:
                    await _require(
                        conn, t.resource_policies.c.name, resource_policy, "resource policy"
                    )
                return await _execute_insert(conn, t.domains, ["name"], row)

    async def ensure_group(self, domain: str, name: str) -> GroupId:
        """The id of group `name` in `domain`, created if absent.

        Raises `UnknownReferenceError` if the domain does not exist.
        """
        check.check_text("group name", name)
        row = {
            "id": uuid.uuid4(),
            "name": name,
            "domain_name": domain,
            "created_at": self._clock.now(),
        }
        with integrity_errors_as_invalid_input(f"create group {name!r}"):
            async with self._engine.begin() as conn:
                await _require(conn, t.domains.c.name, domain, "domain")
                await _execute_insert(conn, t.groups, ["domain_name", "name"], row)
                found = await conn.execute(
                    sa.select(t.groups.c.id).where(
                        t.groups.c.domain_name == domain, t.groups.c.name == name
                    )
                )
        return GroupId(found.scalar_one())

    async def ensure_scaling_group(
        self,
        name: str,
        scheduler: SequencerStrategy = SequencerStrategy.FIFO,
        agent_selection_strategy: AgentSelectionStrategy = AgentSelectionStrategy.CONCENTRATED,
        *,
        pending_timeout: float | None = None,
        max_container_count: int | None = None,
    ) -> bool:
        """Create the scaling group unless it exists; True if this call created it."""
        check.check_text("scaling group name", name)
        row = {
            "name": name,
            "scheduler": scheduler,
            "agent_selection_strategy": agent_selection_strategy,
            "pending_timeout": pending_timeout,
            "max_container_count": max_container_count,
            "created_at": self._clock.now(),
        }
        return await self._insert_if_absent(t.scaling_groups, ["name"], row)

    async def ensure_image(
        self, name: str, architecture: str, environment: Mapping[str, Any]
    ) -> ImageId:
        """The id of image (`name`, `architecture`), created with `environment` if absent."""
        check.check_text("image name", name, check.IMAGE_NAME_MAX)
        check.check_text("architecture", architecture, check.ARCHITECTURE_MAX)
        row = {
            "id": uuid.uuid4(),
            "name": name,
            "architecture": architecture,
            "environment": dict(environment),
            "created_at": self._clock.now(),
        }
        async with self._engine.begin() as conn:
            await _execute_insert(conn, t.images, ["name", "architecture"], row)
            found = await conn.execute(
                sa.select(t.images.c.id).where(
                    t.images.c.name == name, t.images.c.architecture == architecture
                )
            )
        return ImageId(found.scalar_one())

    async def create_user(
        self, email: str, username: str, domain: str, role: UserRole, group_id: GroupId
    ) -> UserId:
        """Create a user in `domain` and make it a member of `group_id`.

        Raises `UnknownReferenceError` for a missing domain or a group outside the domain and
        `AlreadyExistsError` for a taken e-mail address or username.
        """
        check.check_email(email)
        check.check_text("username", username)
        user_id = UserId(uuid.uuid4())
        user = {
            "id": user_id,
            "email": email,
            "username": username,
            "domain_name": domain,
            "role": role,
            "created_at": self._clock.now(),
        }
        with integrity_errors_as_invalid_input(f"create user {email!r}"):
            async with self._engine.begin() as conn:
                await _check_new_user(conn, email, username, domain, group_id)
                await conn.execute(t.users.insert(), [user])
                await conn.execute(
                    t.group_members.insert(), [{"group_id": group_id, "user_id": user_id}]
                )
        return user_id

    async def get_user_by_email(self, email: str) -> UserRecord | None:
        """The user with exactly this e-mail address, or None."""
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(sa.select(t.users).where(t.users.c.email == email))
            ).one_or_none()
        if row is None:
            return None
        return UserRecord(
            id=UserId(row.id),
            email=row.email,
            username=row.username,
            domain_name=row.domain_name,
            role=row.role,
            is_active=row.is_active,
        )

    async def create_keypair(
        self,
        user_id: UserId,
        role: UserRole,
        access_key: AccessKey,
        secret_hash: str,
        *,
        resource_policy: str | None = None,
    ) -> None:
        """Store a keypair of `user_id`; only the hash of its secret is ever stored.

        Raises `UnknownReferenceError` for a missing user or policy and `AlreadyExistsError`
        for an access key in use.
        """
        check.check_access_key(access_key)
        check.check_text("secret hash", secret_hash, check.SECRET_HASH_MAX)
        row = {
            "access_key": access_key,
            "secret_key_hash": secret_hash,
            "user_id": user_id,
            "role": role,
            "resource_policy": resource_policy,
            "created_at": self._clock.now(),
        }
        with integrity_errors_as_invalid_input(f"create keypair {access_key!r}"):
            async with self._engine.begin() as conn:
                await _require(conn, t.users.c.id, user_id, "user")
                if resource_policy is not None:
                    await _require(
                        conn, t.resource_policies.c.name, resource_policy, "resource policy"
                    )
                if not await _execute_insert(conn, t.keypairs, ["access_key"], row):
                    raise AlreadyExistsError("keypair with access key", access_key)

    async def get_keypair(self, access_key: AccessKey) -> KeypairRecord | None:
        """The keypair with this access key, or None."""
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    sa.select(t.keypairs).where(t.keypairs.c.access_key == access_key)
                )
            ).one_or_none()
        if row is None:
            return None
        return KeypairRecord(
            access_key=AccessKey(row.access_key),
            secret_key_hash=row.secret_key_hash,
            user_id=UserId(row.user_id),
            role=row.role,
            is_active=row.is_active,
            resource_policy=row.resource_policy,
        )

    async def _insert_if_absent(
        self, table: sa.Table, conflict_columns: list[str], row: Mapping[str, Any]
    ) -> bool:
        async with self._engine.begin() as conn:
            return await _execute_insert(conn, table, conflict_columns, row)


async def _execute_insert(
    conn: AsyncConnection, table: sa.Table, conflict_columns: list[str], row: Mapping[str, Any]
) -> bool:
    """Insert `row` unless it conflicts on `conflict_columns`; True if it was inserted."""
    statement = insert_if_absent(conn.dialect.name, table, conflict_columns)
    result = await conn.execute(statement, [dict(row)])
    return bool(result.rowcount == 1)


async def _require(conn: AsyncConnection, column: sa.Column[Any], value: object, kind: str) -> None:
    found = await conn.scalar(sa.select(sa.literal(1)).where(column == value))
    if found is None:
        raise UnknownReferenceError(kind, value)


async def _check_new_user(
    conn: AsyncConnection, email: str, username: str, domain: str, group_id: GroupId
) -> None:
    """One round trip answers all four questions a new user raises."""
    probe = sa.select(
        sa.exists().where(t.domains.c.name == domain).label("domain_exists"),
        sa.select(t.groups.c.domain_name)
        .where(t.groups.c.id == group_id)
        .scalar_subquery()
        .label("group_domain"),
        sa.exists().where(t.users.c.email == email).label("email_taken"),
        sa.exists().where(t.users.c.username == username).label("username_taken"),
    )
    found = (await conn.execute(probe)).one()
    if not found.domain_exists:
        raise UnknownReferenceError("domain", domain)
    if found.group_domain != domain:
        raise UnknownReferenceError(f"group in domain {domain!r} with id", group_id)
    if found.email_taken:
        raise AlreadyExistsError("user with e-mail address", email)
    if found.username_taken:
        raise AlreadyExistsError("user with username", username)
